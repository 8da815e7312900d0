"""Getting verified Kepler long-cadence files (or TESS SPOC light curves, `mission="tess"`):
from MAST, a mirror, or a lightkurve cache.

    archive = open_archive("mast", cache_dir=None)        # or a URL, a folder, "lightkurve"
    for result in archive.iter_fetch([11904151, 3342467], concurrency=16):
        if result.ok:
            light_curve = read_light_curve(result.paths)   # files sorted by quarter
        else:
            print(result.error)                             # "KIC n: ..."

    open_archive("mast", mission="tess").fetch_one(261136679)   # TIC ids, files by sector
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lcfeat.archive import tess_layout
from lcfeat.archive.base import Archive, FetchResult
from lcfeat.archive.cache import Cache, default_cache_dir
from lcfeat.archive.client import ClientSettings, HttpArchive
from lcfeat.archive.layout import MAST_LIGHTCURVES_URL
from lcfeat.archive.maintenance import CacheReport, verify_cache
from lcfeat.archive.mirror import (
    LightkurveCache,
    LocalMirror,
    default_lightkurve_cache,
    find_lightkurve_kepler_dir,
)
from lcfeat.archive.outage import OutageEvent
from lcfeat.archive.tess import (
    TessHttpArchive,
    TessLightkurveCache,
    TessMirror,
    find_lightkurve_tess_dirs,
)
from lcfeat.archive.verify import VerifyResult, verify_file
from lcfeat.config import ENV_ARCHIVE, ENV_CACHE, redact
from lcfeat.errors import ArchiveError, ConfigurationError
from lcfeat.targets.ids import quoted

__all__ = [
    "Archive",
    "Cache",
    "CacheReport",
    "ClientSettings",
    "FetchResult",
    "HttpArchive",
    "LightkurveCache",
    "LocalMirror",
    "MAST_LIGHTCURVES_URL",
    "OutageEvent",
    "TessHttpArchive",
    "TessLightkurveCache",
    "TessMirror",
    "VerifyResult",
    "archive_spec_from",
    "cache_dir_from",
    "default_cache_dir",
    "default_lightkurve_cache",
    "open_archive",
    "verify_cache",
    "verify_file",
]


def archive_spec_from(flag: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The archive to use: the command-line value, else $LCFEAT_ARCHIVE, else "mast"."""
    return flag or environ.get(ENV_ARCHIVE) or "mast"


def cache_dir_from(flag: str | Path | None, environ: Mapping[str, str] = os.environ,
                   mission: str = "kepler") -> Path:
    """The cache folder: the command-line value, else $LCFEAT_CACHE, else the user cache (one
    per mission; a folder given by the user may hold both missions, their layouts differ)."""
    chosen = flag or environ.get(ENV_CACHE)
    return Path(chosen).expanduser() if chosen else default_cache_dir(mission)


def open_archive(spec: str | Path | None = None, cache_dir: str | Path | None = None,
                 settings: ClientSettings | None = None,
                 concurrency: int | None = None, check: bool = False,
                 mission: str = "kepler") -> Archive:
    """An archive from a user's setting.

    ``spec``: None or "mast" (MAST's public tree), an http(s) URL of a MAST-layout tree, a
    local folder in MAST's layout (a mirror, or lcfeat's cache), a lightkurve cache folder
    (any level down to ``mastDownload/Kepler``), or "lightkurve" for lightkurve's default
    cache. ``cache_dir`` is where HTTP downloads go (default: `default_cache_dir()`); local
    folders are read in place and never copied. Raises ConfigurationError for a bad spec;
    with ``check``, also for a cache that cannot be written and a host name that does not
    resolve (what a command checks before it starts work). With ``mission="tess"`` the archive
    holds TESS SPOC light curves named by TIC id: an http(s) URL is then the root below which
    MAST's TESS trees hang (`tess_layout`).
    """
    if settings is not None and concurrency is not None:
        settings = ClientSettings(**{**settings.__dict__, "concurrency": concurrency})
    elif concurrency is not None:
        settings = ClientSettings(concurrency=concurrency)
    text = str(spec).strip() if spec is not None else "mast"
    if mission == "tess":
        return _open_tess_archive(text, cache_dir, settings)
    if text.lower() == "mast":
        text = MAST_LIGHTCURVES_URL
    if text.lower().startswith(("http://", "https://")):
        archive = HttpArchive(text, Cache(cache_dir_from(cache_dir, {})), settings)
        if check:
            archive.cache.check_usable()
            archive.check_host()
        return archive
    local_concurrency = settings.concurrency if settings else 4
    if text.lower() == "lightkurve":
        folder = default_lightkurve_cache()
    else:
        folder = Path(text.removeprefix("file://")).expanduser()
    try:
        exists = folder.is_dir()
    except (OSError, ValueError):  # too long a name, a NUL byte
        exists = False
    if not exists:
        raise ConfigurationError(
            f"archive {quoted(redact(text))} is neither 'mast', an http(s) URL nor an "
            "existing folder"
        )
    try:
        if find_lightkurve_kepler_dir(folder) is not None:
            return LightkurveCache(folder, local_concurrency)
        return LocalMirror(folder, local_concurrency)
    except ArchiveError as error:
        raise ConfigurationError(str(error)) from None


def _open_tess_archive(text: str, cache_dir: str | Path | None,
                       settings: ClientSettings | None) -> Archive:
    if text.lower() == "mast":
        text = tess_layout.MAST_URL
    if text.lower().startswith(("http://", "https://")):
        cache = Cache(cache_dir_from(cache_dir, {}, "tess"), mission="tess")
        return TessHttpArchive(text, cache, settings)
    local_concurrency = settings.concurrency if settings else 4
    folder = (default_lightkurve_cache() if text.lower() == "lightkurve"
              else Path(text.removeprefix("file://")).expanduser())
    if not folder.is_dir():
        raise ConfigurationError(
            f"archive {text!r} is neither 'mast', an http(s) URL nor an existing folder"
        )
    try:
        if find_lightkurve_tess_dirs(folder):
            return TessLightkurveCache(folder, local_concurrency)
        return TessMirror(folder, local_concurrency)
    except ArchiveError as error:
        raise ConfigurationError(str(error)) from None
