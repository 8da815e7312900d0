"""`lcfeat run`: fetch (I/O thread) -> extract (worker processes) -> store (batched commits).

The stages overlap and are joined by bounded queues, so memory stays flat whatever the number
of targets. Each finished batch is committed, so an interrupted run loses at most one batch and
the same command resumes where it stopped.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from lcfeat import __version__
from lcfeat.executors import DaskExecutor, LocalExecutor, Outcome, Task
from lcfeat.features.extract import format_target_id
from lcfeat.lightcurve import quality_bitmask
from lcfeat.provenance import RunRecord, save_run, settings_hash
from lcfeat.store import BatchLog, DatabaseUnavailableError, Failure, Store

log = logging.getLogger(__name__)

#: Failed targets listed in the summary (all of them are in the `failures` table).
MAX_LISTED_FAILURES = 100


class ArchiveLike(Protocol):
    def iter_fetch(self, kepler_ids: list[int], concurrency: int = ...) -> Iterator[Any]: ...


@dataclass
class RunSettings:
    workers: int = 2
    batch_size: int = 50
    io_concurrency: int = 16
    target_timeout: float | None = 600.0
    quality: str | int = "default"
    force: bool = False
    retry_failed: bool = False
    label: str | None = None
    executor: str = "local"
    dask_scheduler: str | None = None

    def feature_settings(self) -> dict[str, Any]:
        """What changes feature values (the resume key): a new lcfeat version recomputes."""
        return {"quality_bitmask": quality_bitmask(self.quality), "lcfeat": __version__}


@dataclass
class RunSummary:
    run_id: str
    requested: int
    skipped: int
    done: int = 0
    failed: int = 0
    failures_by_reason: Counter[str] = field(default_factory=Counter)
    failed_targets: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    features_per_target: float = 0.0
    batches_committed: int = 0

    @property
    def processed(self) -> int:
        return self.done + self.failed

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[Outcome | None, RunSummary], None]


def plan_targets(store: Store, kepler_ids: list[int], settings: RunSettings,
                 key: str) -> tuple[list[int], int]:
    """Which requested targets to process now, and how many are skipped as already done."""
    if settings.force:
        return kepler_ids, 0
    if settings.retry_failed:
        failed = store.failed_target_ids()
        todo = [k for k in kepler_ids if format_target_id(k) in failed]
        return todo, len(kepler_ids) - len(todo)
    done = store.done_target_ids(settings_hash=key)
    todo = [k for k in kepler_ids if format_target_id(k) not in done]
    return todo, len(kepler_ids) - len(todo)


def _fetch_stage(archive: ArchiveLike, kepler_ids: list[int], settings: RunSettings,
                 tasks: queue.Queue[Task | None], fetch_failures: queue.Queue[Outcome],
                 stop: threading.Event) -> None:
    """Feed verified file lists to the CPU stage; targets that cannot be fetched fail here."""
    try:
        for result in archive.iter_fetch(kepler_ids, concurrency=settings.io_concurrency):
            if stop.is_set():
                break
            if result.error or not result.paths:
                message = result.error or f"KIC {result.kepler_id}: no light-curve files"
                fetch_failures.put(Outcome(result.kepler_id, failure=Failure(
                    result.kepler_id, "fetch", "FetchError", message),
                    download_seconds=result.seconds))
                continue
            task = Task(result.kepler_id, tuple(str(p) for p in result.paths),
                        settings.quality, download_seconds=result.seconds)
            while not stop.is_set():
                try:
                    tasks.put(task, timeout=0.2)
                    break
                except queue.Full:
                    continue
    except Exception as exc:  # the archive broke as a whole: unfetched targets stay pending
        log.error("fetch stage stopped: %s", exc)
        fetch_failures.put(Outcome(-1, failure=Failure(-1, "fetch", type(exc).__name__,
                                                       str(exc))))
    finally:
        while True:
            try:
                tasks.put(None, timeout=0.2)
                break
            except queue.Full:
                if stop.is_set():
                    break


def run_pipeline(
    store: Store,
    archive: ArchiveLike,
    archive_name: str,
    kepler_ids: list[int],
    settings: RunSettings,
    progress: Progress | None = None,
    labels: dict[int, str] | None = None,
    argv: list[str] | None = None,
    executor: LocalExecutor | DaskExecutor | None = None,
) -> RunSummary:
    """Process targets into the store. The store must already be `prepare()`d."""
    started = time.perf_counter()
    key = settings_hash(settings.feature_settings())
    todo, skipped = plan_targets(store, kepler_ids, settings, key)
    record = RunRecord.start(
        settings.label,
        {**settings.feature_settings(), "quality": settings.quality,
         "workers": settings.workers, "batch_size": settings.batch_size,
         "io_concurrency": settings.io_concurrency, "target_timeout": settings.target_timeout,
         "executor": settings.executor, "dask_scheduler": settings.dask_scheduler,
         "force": settings.force, "retry_failed": settings.retry_failed,
         "settings_hash": key},
        archive_name, len(kepler_ids), argv=argv or sys.argv,
    )
    record.n_skipped = skipped
    store.register_targets(kepler_ids, labels)
    save_run(store, record)
    summary = RunSummary(record.run_id, requested=len(kepler_ids), skipped=skipped)
    if not todo:
        record.status, record.finished_at = "complete", datetime.now(UTC)
        save_run(store, record)
        return summary

    tasks: queue.Queue[Task | None] = queue.Queue(maxsize=max(4, 2 * settings.workers))
    fetch_failures: queue.Queue[Outcome] = queue.Queue()
    stop = threading.Event()
    fetcher = threading.Thread(
        target=_fetch_stage, args=(archive, todo, settings, tasks, fetch_failures, stop),
        name="lcfeat-fetch-stage", daemon=True,
    )
    if executor is not None:
        pass
    elif settings.executor == "dask" or settings.dask_scheduler:
        executor = DaskExecutor(settings.dask_scheduler, settings.workers,
                                settings.target_timeout)
    else:
        executor = LocalExecutor(settings.workers, settings.target_timeout)

    batch: list[Outcome] = []
    batch_number = 0
    batch_started = datetime.now(UTC)
    valid_counts: list[int] = []

    def flush() -> None:
        nonlocal batch, batch_number, batch_started
        if not batch:
            return
        batch_number += 1
        rows = [o.row for o in batch if o.row is not None]
        failures = [o.failure for o in batch if o.failure is not None and o.kepler_id >= 0]
        downloads = [o.download_seconds for o in batch]
        extractions = [o.seconds for o in batch if o.row is not None]
        store.write_batch(
            rows, failures, record.run_id, key,
            BatchLog(batch_number, batch_started,
                     avg_download_time=sum(downloads) / len(downloads),
                     avg_extraction_time=(sum(extractions) / len(extractions)
                                          if extractions else None),
                     notes=f"run {record.run_id}"),
        )
        batch = []
        batch_started = datetime.now(UTC)
        summary.batches_committed = batch_number
        record.n_done, record.n_failed = summary.done, summary.failed
        save_run(store, record)

    def take(outcome: Outcome) -> None:
        if outcome.row is not None:
            summary.done += 1
            valid_counts.append(outcome.row.n_valid)
        elif outcome.failure is not None:
            if outcome.kepler_id < 0:  # the fetch stage itself failed
                summary.failures_by_reason[outcome.failure.error_type] += 1
                summary.failed_targets.append(("fetch stage", outcome.failure.message))
                return
            summary.failed += 1
            summary.failures_by_reason[outcome.failure.error_type] += 1
            if len(summary.failed_targets) < MAX_LISTED_FAILURES:
                summary.failed_targets.append((format_target_id(outcome.kepler_id),
                                               outcome.failure.message))
        batch.append(outcome)
        summary.seconds = time.perf_counter() - started
        if progress is not None:
            progress(outcome, summary)
        if len(batch) >= settings.batch_size:
            flush()

    def drain_fetch_failures() -> None:
        while True:
            try:
                take(fetch_failures.get_nowait())
            except queue.Empty:
                return

    database_lost = False
    fetcher.start()
    try:
        for outcome in executor.run(tasks):
            drain_fetch_failures()
            take(outcome)
        fetcher.join()
        drain_fetch_failures()
        flush()
        record.status = "complete"
    except KeyboardInterrupt:
        summary.interrupted = True
        record.status = "interrupted"
        stop.set()
        flush()
    except DatabaseUnavailableError:
        database_lost = True
        raise
    finally:
        stop.set()
        fetcher.join(timeout=10)
        summary.seconds = time.perf_counter() - started
        summary.features_per_target = (sum(valid_counts) / len(valid_counts)
                                       if valid_counts else 0.0)
        record.finished_at = datetime.now(UTC)
        record.n_done, record.n_failed = summary.done, summary.failed
        record.targets_per_second = summary.rate
        if record.status == "running":
            record.status = "failed"
        try:
            if not database_lost:  # retrying the whole budget again would only delay the stop
                save_run(store, record)
        except Exception as exc:  # never hide the original error behind this one
            log.error("could not save the run record: %s", exc)
    return summary
