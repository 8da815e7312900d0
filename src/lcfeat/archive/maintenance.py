"""`lcfeat cache verify [--repair]`: check every file of a cache, optionally mend it.

Works on lcfeat's cache, any MAST-layout folder and a lightkurve cache (the kind whose
corrupt files used to crash runs). Repair moves each bad file to a quarantine folder and
fetches a fresh copy into the same place (atomically, verified), and removes temporary files
left by interrupted writes. Without ``repair`` nothing is changed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from lcfeat.archive import layout, tess_layout
from lcfeat.archive.cache import (
    QUARANTINE_DIR,
    Cache,
    is_lcfeat_cache,
    is_stale_temporary,
    is_temporary_name,
    quarantine_file,
)
from lcfeat.archive.mirror import find_lightkurve_kepler_dir
from lcfeat.archive.verify import VerifyResult, verify_file
from lcfeat.errors import ConfigurationError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class FileSource(Protocol):
    """What repair needs from an archive: one file, written verified to a given place."""

    def fetch_file(self, kepler_id: int, filename: str, destination: Path) -> VerifyResult: ...


@dataclass(frozen=True)
class BadFile:
    path: Path
    reason: str


@dataclass
class CacheReport:
    """What `verify_cache` found and did."""

    root: Path
    kind: str
    checked: int = 0
    good: int = 0
    bytes_checked: int = 0
    bad: list[BadFile] = field(default_factory=list)
    quarantined: list[Path] = field(default_factory=list)
    refetched: list[Path] = field(default_factory=list)
    refetch_failed: list[BadFile] = field(default_factory=list)
    stale_temporary: list[Path] = field(default_factory=list)
    removed_temporary: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every file is good now (all bad ones repaired)."""
        return len(self.refetched) == len(self.bad) and not self.refetch_failed

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.kind} {self.root}: {self.checked} files checked "
            f"({self.bytes_checked / 1e6:.1f} MB, {self.seconds:.1f} s), {self.good} good, "
            f"{len(self.bad)} bad"
        ]
        lines += [f"  bad: {item.path}: {item.reason}" for item in self.bad]
        if self.quarantined:
            lines.append(f"  {len(self.quarantined)} quarantined, {len(self.refetched)} fetched "
                         "again")
        lines += [f"  not repaired: {item.path}: {item.reason}" for item in self.refetch_failed]
        if self.stale_temporary:
            removed = len(self.removed_temporary)
            lines.append(f"  {len(self.stale_temporary)} leftover temporary files"
                         + (f", {removed} removed" if removed else " (--repair removes them)"))
        return lines


@dataclass(frozen=True)
class _Layout:
    kind: str
    files_root: Path  # where the long-cadence files are searched
    quarantine_root: Path
    relative_to: Path
    sizes: dict[Path, int]


def _describe(root: Path, mission: str = "kepler") -> _Layout:
    if mission == "tess":
        from lcfeat.archive.tess import find_lightkurve_tess_dirs

        tess_dirs = find_lightkurve_tess_dirs(root)
        if tess_dirs:
            download = tess_dirs[0].parent  # mastDownload/
            top = download.parent
            return _Layout("lightkurve cache", download, top / ".lcfeat-quarantine", top, {})
    else:
        kepler_dir = find_lightkurve_kepler_dir(root)
        if kepler_dir is not None:
            top = kepler_dir.parent.parent  # the folder holding mastDownload/
            return _Layout("lightkurve cache", kepler_dir, top / ".lcfeat-quarantine", top, {})
    if is_lcfeat_cache(root):
        cache = Cache(root, mission)
        return _Layout("lcfeat cache", root, cache.quarantine_root, root, cache.known_sizes())
    return _Layout("MAST-layout folder", root, root / QUARANTINE_DIR, root, {})


def _target_of(name: str, mission: str) -> int | None:
    """The KIC (TIC) id a light-curve file name carries, None for any other name."""
    parsed = tess_layout.parse_tess_name(name) if mission == "tess" else layout.parse_llc_name(
        name)
    if parsed is None:
        return None
    return parsed.tic_id if isinstance(parsed, tess_layout.TessName) else parsed.kepler_id


def _walk(files_root: Path, mission: str = "kepler") -> tuple[list[Path], list[Path]]:
    """Light-curve files and temporary leftovers below ``files_root`` (hidden folders
    skipped)."""
    files: list[Path] = []
    temporary: list[Path] = []
    for folder, subfolders, names in os.walk(files_root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(names):
            if _target_of(name, mission) is not None:
                files.append(Path(folder) / name)
            elif is_temporary_name(name):
                temporary.append(Path(folder) / name)
    return files, temporary


def _bounded_map(executor: ThreadPoolExecutor, function: Callable[[T], R], items: Iterable[T],
                 window: int) -> Iterator[tuple[T, R]]:
    """``executor.map`` in order, with at most ``window`` calls submitted but not yet taken."""
    pending: list[tuple[T, Future[R]]] = []
    for item in items:
        pending.append((item, executor.submit(function, item)))
        if len(pending) >= window:
            first, future = pending.pop(0)
            yield first, future.result()
    for item, future in pending:
        yield item, future.result()


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int, title: str) -> Iterator[Callable[[], None]]:
    if not enabled:
        yield lambda: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(title, total=total)
        yield lambda: progress.advance(task)


def verify_cache(root: str | Path, repair: bool = False, progress: bool = False,
                 archive: FileSource | None = None, workers: int | None = None,
                 mission: str = "kepler") -> CacheReport:
    """Verify every long-cadence file under ``root`` (TESS light curve, for ``mission``
    "tess"); with ``repair``, mend what is bad.

    ``archive`` supplies fresh copies when repairing (an `HttpArchive` or `LocalMirror`;
    default MAST with no cache of its own involved). ``workers`` threads verify in parallel.
    """
    started = time.perf_counter()
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ConfigurationError(f"cache folder {root} does not exist")
    where = _describe(root, mission)
    report = CacheReport(root, where.kind)
    files, temporary = _walk(where.files_root, mission)
    # Left by a writer that is gone (killed download), or old; a young file of a running
    # process may be a download in progress and is left alone.
    now = time.time()
    report.stale_temporary = [path for path in temporary if is_stale_temporary(path, now)]

    def check(path: Path) -> VerifyResult:
        return verify_file(path, _target_of(path.name, mission), where.sizes.get(path), mission)

    threads = workers or min(8, (os.cpu_count() or 1) + 2)
    with ThreadPoolExecutor(max_workers=threads) as executor, \
            _progress_bar(progress, len(files), f"verifying {where.kind}") as advance:
        for path, verdict in _bounded_map(executor, check, files, window=4 * threads):
            report.checked += 1
            report.bytes_checked += verdict.size
            if verdict.ok:
                report.good += 1
            else:
                report.bad.append(BadFile(path, verdict.reason))
                log.warning("bad file %s: %s", path, verdict.reason)
            advance()

    if repair:
        _repair(report, where, archive, mission)
    report.seconds = time.perf_counter() - started
    return report


def _repair(report: CacheReport, where: _Layout, archive: FileSource | None,
            mission: str = "kepler") -> None:
    for path in report.stale_temporary:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            report.removed_temporary.append(path)
    if not report.bad:
        return
    if archive is None:
        from lcfeat.archive.client import HttpArchive
        from lcfeat.archive.tess import TessHttpArchive

        archive = (TessHttpArchive(cache=Cache(where.relative_to, "tess")) if mission == "tess"
                   else HttpArchive(cache=Cache(where.relative_to)))
    owned = Cache(where.relative_to, mission) if where.kind == "lcfeat cache" else None
    for item in report.bad:
        target = _target_of(item.path.name, mission)
        if target is None:  # cannot happen: only such names are collected
            continue
        if owned is not None:
            owned.forget_manifest(target)
        try:
            moved = quarantine_file(item.path, where.quarantine_root, where.relative_to,
                                    item.reason)
        except OSError as error:
            report.refetch_failed.append(BadFile(item.path, f"cannot quarantine: {error}"))
            continue
        report.quarantined.append(moved)
        verdict = archive.fetch_file(target, item.path.name, item.path)
        if verdict.ok:
            report.refetched.append(item.path)
        else:
            report.refetch_failed.append(BadFile(item.path, verdict.reason))
