"""TESS SPOC light curves, verified and cached exactly as Kepler files are: from MAST's trees
over HTTP, a local mirror, or a lightkurve cache (`tess_layout` has the names and places).

Over HTTP a star's sectors are found from MAST's trees themselves, without a catalog query:
each tree's root lists its sector folders (read once per run), and each sector's folder of the
star is listed (a 404: not observed). That is one small request per sector and product on a
star's first fetch; afterwards the cache's manifest answers without the network. A sector with
a 2-minute light curve is not asked for its full-frame-image one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from lcfeat.archive import tess_layout
from lcfeat.archive.cache import Cache
from lcfeat.archive.client import ClientSettings, HttpArchive, _NotFound, _Session
from lcfeat.archive.mirror import LightkurveCache, LocalFolderArchive, LocalMirror, not_found
from lcfeat.archive.outage import OutageMonitor
from lcfeat.errors import ArchiveError, TargetNotFoundError

log = logging.getLogger(__name__)


class TessHttpArchive(HttpArchive):
    """MAST's TESS trees (or a mirror of its root) over HTTP(S), with lcfeat's cache in front."""

    mission = "tess"

    def __init__(self, base_url: str = tess_layout.MAST_URL, cache: Cache | None = None,
                 settings: ClientSettings | None = None) -> None:
        cache = cache or Cache(mission="tess")
        if cache.mission != "tess":
            raise ValueError("a TESS archive needs a TESS cache: Cache(root, mission='tess')")
        super().__init__(base_url, cache, settings)
        self._sectors: dict[str, list[int]] = {}
        self._sector_lock: asyncio.Lock | None = None

    @contextlib.asynccontextmanager
    async def _session(self, concurrency: int, outage: OutageMonitor | None = None
                       ) -> AsyncIterator[_Session]:
        async with super()._session(concurrency, outage) as session:
            self._sector_lock = asyncio.Lock()
            yield session

    def _file_url(self, kepler_id: int, filename: str) -> str:
        name = tess_layout.parse_tess_name(filename)
        if name is None:
            raise ArchiveError(f"{filename} is not a TESS light-curve file name")
        return self.base_url + tess_layout.folder_of(name) + filename

    async def _tree_sectors(self, session: _Session, tree: str) -> list[int]:
        """The sectors of one tree, from its root listing (once per archive: a new sector
        appears with a new run). A tree the server does not have holds no sector."""
        assert self._sector_lock is not None
        async with self._sector_lock:
            if tree not in self._sectors:
                url = f"{self.base_url}{tree}/"

                async def sectors(response: httpx.Response) -> list[int]:
                    return tess_layout.sectors_in_listing(response.text)

                try:
                    self._sectors[tree] = await self._with_retries(session, url, sectors)
                except _NotFound:
                    self._sectors[tree] = []
                log.info("%s: %d sectors", url, len(self._sectors[tree]))
            return self._sectors[tree]

    async def _listed(self, session: _Session, folder: str, tic_id: int) -> list[str]:
        """The star's file names in one sector folder; none when the folder does not exist."""

        async def names(response: httpx.Response) -> list[str]:
            return tess_layout.names_in_listing(response.text, tic_id)

        try:
            return await self._with_retries(session, self.base_url + folder, names)
        except _NotFound:
            return []

    async def _discover(self, session: _Session, kepler_id: int) -> tuple[list[str], bool]:
        tic_id = kepler_id
        spoc_sectors = await self._tree_sectors(session, tess_layout.SPOC_TREE)
        ffi_sectors = await self._tree_sectors(session, tess_layout.FFI_TREE)
        if not spoc_sectors and not ffi_sectors:
            raise ArchiveError(
                f"{self.base_url} lists no sector under {tess_layout.SPOC_TREE}/ or "
                f"{tess_layout.FFI_TREE}/ (is it MAST's root, https://archive.stsci.edu/?)")
        spoc = await asyncio.gather(*(
            self._listed(session, tess_layout.spoc_folder(sector, tic_id), tic_id)
            for sector in spoc_sectors))
        names = [name for found in spoc for name in found]
        covered = {parsed.sector for name in names
                   if (parsed := tess_layout.parse_tess_name(name)) is not None}
        ffi = await asyncio.gather(*(
            self._listed(session, tess_layout.ffi_folder(sector, tic_id), tic_id)
            for sector in ffi_sectors if sector not in covered))
        names += [name for found in ffi for name in found]
        if not names:
            raise TargetNotFoundError(
                f"{not_found('tess')} (no folder of it in {len(spoc_sectors)} 2-minute and "
                f"{len(ffi_sectors)} TESS-SPOC sectors of {self.base_url})")
        return sorted(names), False


class TessMirror(LocalMirror):
    """TESS light curves in a local folder: lcfeat's layout (``TTTT/TTTT/TTTT/TTTT/<files>``,
    lcfeat's TESS cache among them) or a mirror of MAST's root (``missions/tess/tid/...`` and
    ``hlsps/tess-spoc/...``)."""

    mission = "tess"

    def __init__(self, root: str | Path, concurrency: int = 4) -> None:
        super().__init__(root, concurrency)
        if self.owned:
            self._cache = Cache(self.root, mission="tess")
        self._sector_folders: dict[str, list[Path]] | None = None
        self._lock = threading.Lock()

    def _sector_roots(self) -> dict[str, list[Path]]:
        """The sector folders of MAST's two trees under the root (listed once)."""
        with self._lock:
            if self._sector_folders is None:
                found: dict[str, list[Path]] = {}
                for tree, below in ((tess_layout.SPOC_TREE, ""),
                                    (tess_layout.FFI_TREE, "target")):
                    top = self.root / tree
                    try:
                        sectors = sorted(e.path for e in os.scandir(top)
                                         if e.is_dir() and e.name.startswith("s"))
                    except (FileNotFoundError, NotADirectoryError):
                        sectors = []
                    found[tree] = [Path(s) / below if below else Path(s) for s in sectors]
                self._sector_folders = found
            return self._sector_folders

    def _candidate_files(self, kepler_id: int) -> list[Path]:
        folder = tess_layout.tic_folder(kepler_id)
        files = tess_layout.tess_files_in(self.root / folder, kepler_id, own_folder=True)
        for roots in self._sector_roots().values():
            for sector_root in roots:
                files += tess_layout.tess_files_in(sector_root / folder, kepler_id)
        return files

    def _expected_size(self, path: Path) -> int | None:
        if self._cache is None:
            return None
        manifest = self._cache.read_manifest(self._tic_of(path))
        return manifest.sizes.get(path.name) if manifest else None

    def _quarantine(self, path: Path, reason: str) -> bool:
        if self._cache is None:
            return False
        self._cache.forget_manifest(self._tic_of(path))
        self._cache.quarantine(path, reason)
        return True

    @staticmethod
    def _tic_of(path: Path) -> int:
        name = tess_layout.parse_tess_name(path.name)
        return name.tic_id if name else -1


def find_lightkurve_tess_dirs(root: Path) -> list[Path]:
    """The ``mastDownload/TESS`` and ``mastDownload/HLSP`` folders of a lightkurve cache given
    at its root or at ``mastDownload``."""
    root = Path(root).expanduser()
    for base in (root / "mastDownload", root):
        found = [base / name for name in ("TESS", "HLSP") if (base / name).is_dir()]
        if found:
            return found
    return []


class TessLightkurveCache(LightkurveCache):
    """lightkurve's download cache, read in place, for TESS: ``mastDownload/TESS/tess<stamp>-
    sNNNN-<TIC16>-<scid>-s/<that>_lc.fits`` and ``mastDownload/HLSP/hlsp_tess-spoc_tess_phot_
    <TIC16>-sNNNN_tess_v1_tp/hlsp_..._lc.fits`` (lightkurve's folder for a light curve is named
    after the target pixel product)."""

    mission = "tess"

    def __init__(self, root: str | Path, concurrency: int = 4) -> None:
        folders = find_lightkurve_tess_dirs(Path(root))
        if not folders:
            raise ArchiveError(
                f"{root} is not a lightkurve cache with TESS files (no mastDownload/TESS or "
                "mastDownload/HLSP folder)")
        # LightkurveCache.__init__ looks for Kepler's folder: set up as its base does instead.
        LocalFolderArchive.__init__(self, folders[0].parent, concurrency)
        self._download_folders = folders
        self.description = f"lightkurve cache {self.root}"
        self._index = None
        self._index_lock = threading.Lock()

    @staticmethod
    def _folder_target(name: str) -> int | None:
        return tess_layout.lightkurve_folder_tic(name)

    def _candidate_files(self, kepler_id: int) -> list[Path]:
        return [path for folder in self._folders(kepler_id)
                for path in tess_layout.tess_files_in(folder, kepler_id)]
