"""Archives on local disk, read in place: a MAST-layout mirror and a lightkurve cache.

Files are verified before use and returned where they are (no copy). A bad file in a user's
folder is reported and skipped, never moved: only lcfeat's own cache (recognised by its marker
file) has its bad files quarantined.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from lcfeat.archive import layout
from lcfeat.archive.base import Archive, FetchResult, VerifiedFile, assemble_result
from lcfeat.archive.cache import (
    Cache,
    atomic_write_verified,
    is_lcfeat_cache,
)
from lcfeat.archive.outage import OutageMonitor
from lcfeat.archive.verify import VerifyResult, verify_file
from lcfeat.errors import ArchiveError, TargetNotFoundError

NOT_FOUND = "no long-cadence files in the archive"
NOT_FOUND_TESS = "no TESS SPOC light curves in the archive"


def not_found(mission: str) -> str:
    """What a target without files gets told, per mission."""
    return NOT_FOUND_TESS if mission == "tess" else NOT_FOUND


def _llc_files(folder: Path, kepler_id: int) -> list[Path]:
    """The target's long-cadence files directly inside ``folder`` (none if it is missing)."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(
        folder / name for name in names
        if (parsed := layout.parse_llc_name(name)) and parsed.kepler_id == kepler_id
    )


class LocalFolderArchive(Archive):
    """Common logic of the on-disk archives: list a target's files, verify each, report."""

    def __init__(self, root: str | Path, concurrency: int = 4) -> None:
        super().__init__(concurrency)
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            raise ArchiveError(f"archive folder {self.root} does not exist")

    def _candidate_files(self, kepler_id: int) -> list[Path]:
        raise NotImplementedError

    def _expected_size(self, path: Path) -> int | None:
        return None

    def _quarantine(self, path: Path, reason: str) -> bool:
        """Move a bad file out of the way if lcfeat owns it; True if it was moved."""
        return False

    @contextlib.asynccontextmanager
    async def _session(self, concurrency: int, outage: OutageMonitor | None = None
                       ) -> AsyncIterator[asyncio.Semaphore]:
        # Verification reads and checksums whole files: bound the threads doing it.
        yield asyncio.Semaphore(concurrency)

    async def _verify(self, checks: asyncio.Semaphore, path: Path,
                      kepler_id: int) -> VerifyResult:
        async with checks:
            return await asyncio.to_thread(verify_file, path, kepler_id,
                                           self._expected_size(path), self.mission)

    async def _fetch_target(self, session: asyncio.Semaphore, kepler_id: int,
                            result: FetchResult) -> None:
        candidates = await asyncio.to_thread(self._candidate_files, kepler_id)
        if not candidates:
            raise TargetNotFoundError(f"{not_found(self.mission)} ({self.description})")
        verdicts = await asyncio.gather(
            *(self._verify(session, path, kepler_id) for path in candidates)
        )
        good: dict[str, VerifiedFile] = {}
        bad: dict[str, str] = {}
        for path, verdict in zip(candidates, verdicts, strict=True):
            if verdict.ok:
                # The same file may sit in two lightkurve folders: one good copy is enough.
                good.setdefault(path.name, VerifiedFile(path, verdict.quarter, verdict.size))
                continue
            moved = await asyncio.to_thread(self._quarantine, path, verdict.reason)
            action = "quarantined" if moved else "skipped"
            result.problems.append(f"{path}: {verdict.reason} ({action})")
            bad.setdefault(path.name, verdict.reason)
        still_bad = {name: reason for name, reason in bad.items() if name not in good}
        assemble_result(result, good.values())
        result.from_disk = len(result.paths)
        if still_bad:
            name, reason = next(iter(still_bad.items()))
            raise ArchiveError(
                f"{len(still_bad)} of {len(still_bad) + len(good)} files failed verification "
                f"(first: {name}: {reason})"
            )

    def fetch_file(self, kepler_id: int, filename: str, destination: Path) -> VerifyResult:
        """Copy one file into ``destination`` (verified, atomic): used to repair a cache."""
        for path in self._candidate_files(kepler_id):
            if path.name == filename:
                return atomic_write_verified(destination, path.read_bytes(), kepler_id,
                                             mission=self.mission)
        return VerifyResult(False, f"{filename} is not in {self.description}")


class LocalMirror(LocalFolderArchive):
    """A folder in MAST's layout (``NNNN/NNNNNNNNN/kplr..._llc.fits``), e.g. a wget mirror.

    A flat ``NNNNNNNNN/kplr..._llc.fits`` layout is accepted too. When the folder is lcfeat's
    own cache, bad files are quarantined and the manifests' sizes are checked.
    """

    def __init__(self, root: str | Path, concurrency: int = 4) -> None:
        super().__init__(root, concurrency)
        self.owned = is_lcfeat_cache(self.root)
        self._cache = Cache(self.root) if self.owned else None
        kind = "lcfeat cache" if self.owned else "local mirror"
        self.description = f"{kind} {self.root}"

    def _candidate_files(self, kepler_id: int) -> list[Path]:
        folder = layout.target_folder(kepler_id)
        files = _llc_files(self.root / folder, kepler_id)
        return files or _llc_files(self.root / folder.name, kepler_id)

    def _expected_size(self, path: Path) -> int | None:
        if self._cache is None:
            return None
        manifest = self._cache.read_manifest(int(path.parent.name))
        return manifest.sizes.get(path.name) if manifest else None

    def _quarantine(self, path: Path, reason: str) -> bool:
        if self._cache is None:
            return False
        self._cache.forget_manifest(int(path.parent.name))
        self._cache.quarantine(path, reason)
        return True


def find_lightkurve_kepler_dir(root: Path) -> Path | None:
    """The ``mastDownload/Kepler`` folder of a lightkurve cache given any level of it."""
    root = Path(root).expanduser()
    for candidate in (root / "mastDownload" / "Kepler", root / "Kepler"):
        if candidate.is_dir():
            return candidate
    if root.name == "Kepler" and root.parent.name == "mastDownload" and root.is_dir():
        return root
    return None


def default_lightkurve_cache() -> Path:
    """lightkurve's default cache (as ``lightkurve.config.get_cache_dir``, without creating it)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and (Path(xdg) / "lightkurve").is_dir():
        return Path(xdg) / "lightkurve"
    return Path.home() / ".lightkurve" / "cache"


class LightkurveCache(LocalFolderArchive):
    """lightkurve's download cache, read in place.

    Layout: ``<cache>/mastDownload/Kepler/kplrNNNNNNNNN_lc_Q<18 digits>/kplr...-<stamp>_llc.fits``
    (the path lightkurve's ``search.py`` builds from astroquery's ``obs_collection``, ``obs_id``
    and ``productFilename``). A target may have several such folders.
    """

    def __init__(self, root: str | Path, concurrency: int = 4) -> None:
        kepler_dir = find_lightkurve_kepler_dir(Path(root))
        if kepler_dir is None:
            raise ArchiveError(f"{root} is not a lightkurve cache (no mastDownload/Kepler folder)")
        super().__init__(kepler_dir, concurrency)
        self.description = f"lightkurve cache {self.root}"
        #: The mastDownload folders holding one folder per product of a target.
        self._download_folders = [kepler_dir]
        self._index: dict[int, list[Path]] | None = None
        self._index_lock = threading.Lock()

    @staticmethod
    def _folder_target(name: str) -> int | None:
        """The target id of a product folder's name (None: not a light-curve folder)."""
        return layout.lightkurve_folder_kic(name)

    def _folders(self, kepler_id: int) -> list[Path]:
        # One listing of the (possibly huge) download folders, instead of a glob per target.
        with self._index_lock:
            if self._index is None:
                index: dict[int, list[Path]] = {}
                for download in self._download_folders:
                    with os.scandir(download) as entries:
                        for entry in entries:
                            target = self._folder_target(entry.name)
                            if target is not None and entry.is_dir():
                                index.setdefault(target, []).append(Path(entry.path))
                self._index = {target: sorted(paths) for target, paths in index.items()}
            return self._index.get(kepler_id, [])

    def _candidate_files(self, kepler_id: int) -> list[Path]:
        return [path for folder in self._folders(kepler_id)
                for path in _llc_files(folder, kepler_id)]
