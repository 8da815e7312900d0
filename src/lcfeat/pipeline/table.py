"""Many stars to a pandas DataFrame (`lcfeat.extract_table`), through the worker pool of
`lcfeat run`: the same isolated processes, the same per-target work (`executors.run_task`),
the same fetching for targets given by KIC id; no database.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
from pathlib import Path
from typing import Any

from lcfeat.archive.base import put_unless_stopped
from lcfeat.archive.layout import targets_in_folder
from lcfeat.errors import InvalidTargetError
from lcfeat.lightcurve.quality import DEFAULT_QUALITY, quality_bitmask
from lcfeat.lightcurve.sources import light_curve_files, light_curve_from
from lcfeat.pipeline.executors import LocalExecutor, Outcome, Task, start_fork_server
from lcfeat.pipeline.run import fetch_stage
from lcfeat.pipeline.settings import RunSettings
from lcfeat.targets.ids import format_target_id, looks_like_kic, parse_kic
from lcfeat.targets.lists import read_targets

log = logging.getLogger(__name__)

_KPLR_NAME = re.compile(r"kplr(\d{9})-", re.IGNORECASE)


def _target_of_files(paths: list[str]) -> tuple[int, str]:
    """The KIC id in Kepler file names (kplrNNNNNNNNN-...), else the first file's header's
    KEPLERID, or TICID for a TESS file; and the mission."""
    ids = {int(m.group(1)) for p in paths if (m := _KPLR_NAME.search(os.path.basename(p)))}
    if len(ids) == 1 and len(paths) == sum(bool(_KPLR_NAME.search(p)) for p in paths):
        return ids.pop(), "kepler"
    from astropy.io import fits

    try:
        header = fits.getheader(paths[0], ext=0)
        if str(header.get("TELESCOP", "")).strip() == "TESS":
            return int(header["TICID"]), "tess"
        return int(header["KEPLERID"]), "kepler"
    except (OSError, KeyError, ValueError, TypeError):
        return -1, "kepler"  # read_light_curve names the problem when the worker reads it


def _is_kic(item: object) -> bool:
    if isinstance(item, int) and not isinstance(item, bool):
        return True
    return isinstance(item, str) and looks_like_kic(item) and not os.path.exists(item)


def plan_sources(sources: Any, quality: str | int
                 ) -> tuple[list[int], list[Task], str | None]:
    """(KIC ids to fetch, tasks ready to run, the archive to fetch from if `sources` names
    one) for what `extract_table` was given."""
    if isinstance(sources, str | os.PathLike):
        text = os.fspath(sources)
        if os.path.isdir(text) and not any(Path(text).glob("kplr*_llc.fits")):
            ids = targets_in_folder(Path(text))  # a mirror: all of its targets
            if not ids:
                raise InvalidTargetError(f"no kplr*_llc.fits files found under {text}")
            return ids, [], text
        if not text.lower().endswith((".fits", ".fits.gz")) and not os.path.isdir(text):
            return read_targets(text).ids, [], None
        sources = [sources]
    to_fetch: list[int] = []
    tasks: list[Task] = []
    for item in sources:
        if _is_kic(item):
            to_fetch.append(parse_kic(item))
        elif _names_files(item):
            paths = [str(p) for p in light_curve_files(item)]
            number, mission = _target_of_files(paths)
            tasks.append(Task(number, tuple(paths), quality, mission=mission))
        else:
            # in-memory light curves (lcfeat's, lightkurve's) travel to the worker as they are
            lc = light_curve_from(item, quality=quality)
            if lc.kepler_id <= 0:
                raise InvalidTargetError(
                    "every star of a table needs its KIC id: make light curves from arrays "
                    "with lcfeat.light_curve(time, flux, kepler_id=...)")
            tasks.append(Task(lc.kepler_id, (), quality, light_curve=lc, mission=lc.mission))
    return list(dict.fromkeys(to_fetch)), tasks, None


def _names_files(item: object) -> bool:
    if isinstance(item, str | os.PathLike):
        return True
    return (isinstance(item, list | tuple) and bool(item)
            and all(isinstance(p, str | os.PathLike) for p in item))


def extract_table(
    sources: Any,
    workers: int | None = None,
    *,
    quality: str | int = DEFAULT_QUALITY,
    archive: str | None = None,
    cache: str | None = None,
    target_timeout: float | None = 600.0,
    io_concurrency: int = 16,
) -> Any:
    """Features of many stars as a pandas DataFrame indexed by `target_id`.

    `sources` is a target list as `lcfeat run --targets` takes it (KIC ids separated by
    commas, a text or CSV file, a preset name), a mirror folder in MAST's layout (all of its
    targets), or a list whose items are each one star: a
    KIC id, a path or list of paths of its quarter files (or a folder of them), an lcfeat
    or lightkurve `LightCurve`, a lightkurve `LightCurveCollection`. Stars given by KIC id are
    fetched from `archive` (MAST by default, or $LCFEAT_ARCHIVE; a mirror folder or URL) into
    `cache`, as `lcfeat run` fetches them.

    The work runs in `workers` processes (default: one per core) with `lcfeat run`'s
    isolation: a star whose worker crashes or passes `target_timeout` seconds fails alone.
    Columns: the 63 features, then the extras (NaN where NULL); `df.attrs["units"]` gives
    each column's unit, `df.attrs["failures"]` maps each failed target to its reason (a
    warning is logged for each). Rows are in the order the stars were given.
    """
    import pandas as pd

    from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES, units

    quality_bitmask(quality)  # an unknown setting fails now, not in every worker
    start_fork_server()  # its imports overlap with reading and fetching the sources
    to_fetch, ready, folder = plan_sources(sources, quality)
    order = [task.target_id for task in ready] + [format_target_id(k) for k in to_fetch]
    if not order:
        raise InvalidTargetError("no targets given")
    workers = min(workers or os.cpu_count() or 1, len(order))
    settings = RunSettings(workers=workers, quality=quality,
                           io_concurrency=io_concurrency, target_timeout=target_timeout)
    tasks: queue.Queue[Task | None] = queue.Queue(maxsize=max(4, 2 * settings.workers))
    fetch_failures: queue.Queue[Outcome] = queue.Queue()
    stop = threading.Event()
    fetch_archive = None
    if to_fetch:
        from lcfeat.archive import archive_spec_from, cache_dir_from, open_archive

        fetch_archive = open_archive(folder or archive_spec_from(archive), cache_dir_from(cache))

    archive_lost: list[Exception] = []

    def produce() -> None:
        try:
            for task in ready:
                put_unless_stopped(tasks, task, stop)
        finally:
            if fetch_archive is not None:
                # It ends the stream itself, whatever happens.
                fetch_stage(fetch_archive, to_fetch, settings, tasks, fetch_failures, stop,
                            archive_lost=archive_lost)
            else:
                tasks.put(None)

    producer = threading.Thread(target=produce, name="lcfeat-table-sources", daemon=True)
    outcomes: list[Outcome] = []
    producer.start()
    try:
        for outcome in LocalExecutor(settings.workers, settings.target_timeout).run(tasks):
            outcomes.append(outcome)
    finally:
        stop.set()
        producer.join(timeout=10)
    while not fetch_failures.empty():
        outcomes.append(fetch_failures.get_nowait())
    if archive_lost:
        raise archive_lost[0]

    rows = {o.row.target_id: o.row.to_dict() for o in outcomes if o.row is not None}
    failures: dict[str, str] = {}
    for outcome in outcomes:
        if outcome.failure is not None:
            failure = outcome.failure
            name = outcome.target_id if outcome.kepler_id >= 0 else "fetch stage"
            failures[name] = f"{failure.stage}: {failure.message}"
            log.warning("%s failed (%s): %s", name, failure.stage, failure.message)
    columns = [*FEATURE_NAMES, *EXTRA_NAMES]
    index = [t for t in dict.fromkeys(order) if t in rows]
    frame = pd.DataFrame([rows[t] for t in index], index=pd.Index(index, name="target_id"),
                         columns=columns, dtype="float64")
    frame.attrs["units"] = units(columns)
    frame.attrs["failures"] = failures
    return frame
