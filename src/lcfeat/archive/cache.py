"""lcfeat's file cache: MAST's layout, atomic verified writes, quarantine, per-target manifests.

A file enters the cache only through `atomic_write_verified`: written under a temporary name in
its final folder, flushed to disk, verified, then renamed into place, so a reader never sees a
partial or corrupt file under a real name (a crash leaves at worst a ``.part`` file, which the
next fetch of that target and `lcfeat cache verify --repair` remove once its writer is gone).
A cached file found bad is moved to the quarantine folder, never deleted, with a line in
``quarantine.log`` saying why.

After a target's files are all fetched, a small manifest in its folder lists them with their
sizes, so that a later run can use the target without asking the archive what it holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from lcfeat.archive import layout, tess_layout
from lcfeat.archive.verify import VerifyResult, verify_file
from lcfeat.errors import ConfigurationError

log = logging.getLogger(__name__)

#: Present at the root of every cache lcfeat created (so its files may be moved on failure).
CACHE_MARKER = ".lcfeat-cache"
QUARANTINE_DIR = ".quarantine"
QUARANTINE_LOG = "quarantine.log"
MANIFEST_NAME = ".lcfeat-manifest.json"
TEMP_SUFFIX = ".part"
#: A temporary file older than this is stale even if a process with its writer's id runs
#: (ids are reused; the writer may have run on another machine sharing the folder).
STALE_TEMPORARY_SECONDS = 3600.0


def default_cache_dir(mission: str = "kepler") -> Path:
    """The user's cache folder for lcfeat, holding a copy of MAST's light curves of a mission."""
    return Path(user_cache_dir("lcfeat")) / mission / "lightcurves"


def is_lcfeat_cache(root: Path) -> bool:
    return (Path(root) / CACHE_MARKER).is_file()


def _fsync_directory(folder: Path) -> None:
    """Make a rename durable; not every platform can open a folder, which is then skipped."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def temporary_name(destination: Path) -> Path:
    """A unique hidden name beside ``destination`` (same folder, so the rename is atomic)."""
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    return destination.with_name(f".{destination.name}.{token}{TEMP_SUFFIX}")


def is_temporary_name(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def writer_pid(name: str) -> int | None:
    """The id of the process that wrote a temporary file (part of its name), if readable."""
    parts = name.removesuffix(TEMP_SUFFIX).rsplit(".", 2)
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()):
        return None
    return int(parts[1])


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or an id we cannot ask about: assume alive
    return True


def is_stale_temporary(path: Path, now: float | None = None) -> bool:
    """Whether a temporary file was left by a writer that is gone: its process no longer
    exists, or the file is older than STALE_TEMPORARY_SECONDS. A young file of a running
    process may be a download in progress."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    if age > STALE_TEMPORARY_SECONDS:
        return True
    pid = writer_pid(path.name)
    return pid is not None and pid != os.getpid() and not _process_exists(pid)


def atomic_write_verified(destination: Path, data: bytes, expected_kepler_id: int | None,
                          expected_size: int | None = None,
                          mission: str = "kepler") -> VerifyResult:
    """Write, fsync, verify and rename ``data`` into ``destination``; nothing stays if bad.

    Returns the verification of the written file; ``destination`` is touched only when it is ok.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(destination)
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        verdict = verify_file(temporary, expected_kepler_id, expected_size, mission)
        if verdict.ok:
            os.replace(temporary, destination)
            _fsync_directory(destination.parent)
        return verdict
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def quarantine_file(path: Path, quarantine_root: Path, relative_to: Path, reason: str) -> Path:
    """Move ``path`` under ``quarantine_root`` (keeping its place below ``relative_to``).

    The new name carries a UTC time stamp so that repeated failures never overwrite each other;
    ``quarantine.log`` gets a tab-separated line: time, original path, new path, reason.
    """
    try:
        relative = path.relative_to(relative_to)
    except ValueError:
        relative = Path(path.name)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = quarantine_root / relative.parent / f"{relative.name}.{stamp}.{secrets.token_hex(2)}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    one_line_reason = " ".join(reason.split())
    with open(quarantine_root / QUARANTINE_LOG, "a", encoding="utf-8") as journal:
        journal.write(f"{stamp}\t{path}\t{target}\t{one_line_reason}\n")
    log.warning("quarantined %s: %s (moved to %s)", path, one_line_reason, target)
    return target


@dataclass(frozen=True)
class Manifest:
    """A target's complete list of long-cadence files, with sizes, as the archive gave them."""

    kepler_id: int
    sizes: dict[str, int]
    source: str


class Cache:
    """A MAST-layout folder that lcfeat owns: ``<root>/NNNN/NNNNNNNNN/kplr..._llc.fits``; for
    TESS, ``<root>/TTTT/TTTT/TTTT/TTTT/<file>`` (`tess_layout`), every sector in one folder."""

    def __init__(self, root: str | Path | None = None, mission: str = "kepler") -> None:
        self.mission = mission
        self.root = (Path(root).expanduser() if root is not None
                     else default_cache_dir(mission))

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    def check_usable(self) -> None:
        """ConfigurationError unless the cache can be written: its root is a folder (or can
        be made one) that this user may write. Nothing is created."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise ConfigurationError(f"cache {root} is a file, not a folder: give --cache a "
                                     "folder (or $LCFEAT_CACHE)")
        existing = root
        while not existing.exists():
            if existing.parent == existing:
                break
            existing = existing.parent
        if not existing.is_dir():
            raise ConfigurationError(
                f"cache {root} cannot be created: {existing} is a file, not a folder")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ConfigurationError(f"cache {root}: no permission to write in {existing}")

    def ensure(self) -> None:
        """Create the root and its marker (first write only)."""
        self.root.mkdir(parents=True, exist_ok=True)
        marker = self.root / CACHE_MARKER
        if not marker.exists():
            marker.write_text("This folder is an lcfeat cache of MAST's "
                              f"{'TESS' if self.mission == 'tess' else 'Kepler'} light curves.\n")

    @property
    def quarantine_root(self) -> Path:
        return self.root / QUARANTINE_DIR

    def target_dir(self, kepler_id: int) -> Path:
        if self.mission == "tess":
            return self.root / tess_layout.tic_folder(kepler_id)
        return self.root / layout.target_folder(kepler_id)

    def path_for(self, kepler_id: int, filename: str) -> Path:
        return self.target_dir(kepler_id) / filename

    def remove_stale_temporaries(self, kepler_id: int) -> list[Path]:
        """Remove the temporary files a killed writer left in the target's folder."""
        folder = self.target_dir(kepler_id)
        try:
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        removed = []
        for name in names:
            path = folder / name
            if is_temporary_name(name) and is_stale_temporary(path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
                    log.info("removed %s, left by an interrupted write", path)
        return removed

    def cached_names(self, kepler_id: int) -> list[str]:
        """Long-cadence file names of this target already in the cache."""
        folder = self.target_dir(kepler_id)
        if not folder.is_dir():
            return []
        if self.mission == "tess":
            return [path.name for path in tess_layout.tess_files_in(folder, kepler_id)]
        return sorted(
            name for name in os.listdir(folder)
            if (parsed := layout.parse_llc_name(name)) and parsed.kepler_id == kepler_id
        )

    def store(self, kepler_id: int, filename: str, data: bytes,
              expected_size: int | None = None) -> VerifyResult:
        self.ensure()
        return atomic_write_verified(self.path_for(kepler_id, filename), data, kepler_id,
                                     expected_size, self.mission)

    def quarantine(self, path: Path, reason: str) -> Path:
        self.ensure()
        return quarantine_file(path, self.quarantine_root, self.root, reason)

    def read_manifest(self, kepler_id: int) -> Manifest | None:
        path = self.target_dir(kepler_id) / MANIFEST_NAME
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            sizes = {str(name): int(size) for name, size in content["files"].items()}
            if int(content["kepler_id"]) != kepler_id:
                return None
            return Manifest(kepler_id, sizes, str(content.get("source", "")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            log.warning("ignoring unreadable manifest %s: %s", path, error)
            return None

    def write_manifest(self, manifest: Manifest) -> None:
        self.ensure()
        path = self.target_dir(manifest.kepler_id) / MANIFEST_NAME
        content = {
            "kepler_id": manifest.kepler_id,
            "source": manifest.source,
            "files": dict(sorted(manifest.sizes.items())),
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = temporary_name(path)
        try:
            temporary.write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()

    def forget_manifest(self, kepler_id: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.target_dir(kepler_id) / MANIFEST_NAME).unlink()

    def known_sizes(self) -> dict[Path, int]:
        """Expected size of every file named in a manifest, for `verify_cache`."""
        sizes: dict[Path, int] = {}
        depth = "[0-9]*/" * (4 if self.mission == "tess" else 2)
        for manifest_path in self.root.glob(f"{depth}{MANIFEST_NAME}"):
            folders = manifest_path.parent.relative_to(self.root).parts
            kepler_id = int("".join(folders) if self.mission == "tess" else folders[-1])
            manifest = self.read_manifest(kepler_id)
            if manifest is not None:
                for name, size in manifest.sizes.items():
                    sizes[manifest_path.parent / name] = size
        return sizes
