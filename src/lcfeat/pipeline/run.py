"""`lcfeat run`: fetch (I/O thread) -> extract (worker processes) -> store (batched commits).

The stages overlap and are joined by bounded queues, so memory stays flat whatever the number
of targets. Each finished batch is committed, and an interrupted run (Ctrl-C, SIGTERM) commits
what it finished before it stops, so the same command resumes where it stopped.

An outage of the archive pauses the fetch stage (the CPU stage finishes what it holds): the
targets it could not fetch stay pending, never failed. When the archive stays unreachable
past the outage budget the run stops, everything finished committed (`RunSummary.stopped`).
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

from lcfeat.archive import OutageEvent
from lcfeat.archive.base import put_unless_stopped
from lcfeat.errors import ArchiveUnavailableError
from lcfeat.pipeline.executors import DaskExecutor, LocalExecutor, Outcome, Task
from lcfeat.pipeline.settings import RunSettings
from lcfeat.store import BatchLog, DatabaseUnavailableError, Failure, Store
from lcfeat.store.provenance import RunRecord, save_run, settings_hash
from lcfeat.targets.ids import format_target_id

log = logging.getLogger(__name__)

#: Failed targets listed in the summary (all of them are in the `failures` table).
MAX_LISTED_FAILURES = 100


class ArchiveLike(Protocol):
    def iter_fetch(self, kepler_ids: list[int], concurrency: int = ..., buffer: int | None = ...,
                   outage_budget: float | None = ...,
                   on_outage: Callable[[OutageEvent], None] | None = ...,
                   stop: threading.Event | None = ...) -> Iterator[Any]: ...


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
    #: While the archive is unreachable: "archive unreachable since HH:MM, retrying".
    archive_note: str = ""
    #: Why the run stopped before its end (the archive stayed unreachable), else None.
    stopped: str | None = None

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
    mission = settings.mission
    if settings.retry_failed:
        failed = store.failed_target_ids()
        todo = [k for k in kepler_ids if format_target_id(k, mission) in failed]
        return todo, len(kepler_ids) - len(todo)
    done = store.done_target_ids(settings_hash=key)
    todo = [k for k in kepler_ids if format_target_id(k, mission) not in done]
    return todo, len(kepler_ids) - len(todo)


def fetch_stage(archive: ArchiveLike, kepler_ids: list[int], settings: RunSettings,
                tasks: queue.Queue[Task | None], fetch_failures: queue.Queue[Outcome],
                stop: threading.Event, on_outage: Callable[[OutageEvent], None] | None = None,
                archive_lost: list[ArchiveUnavailableError] | None = None) -> None:
    """Feed verified file lists to the CPU stage; targets that cannot be fetched fail here,
    except for an outage of the archive, which pauses the fetching instead (past its budget
    the error goes into `archive_lost` and the unfetched targets stay pending). Always ends
    the task stream with None, so the CPU stage never waits for nothing."""
    mission = settings.mission
    try:
        fetched = archive.iter_fetch(kepler_ids, concurrency=settings.io_concurrency,
                                     outage_budget=settings.archive_outage_budget,
                                     on_outage=on_outage, stop=stop)
        for result in fetched:
            if stop.is_set():
                break
            if result.error or not result.paths:
                message = (result.error or
                           f"{format_target_id(result.kepler_id, mission)}: no light-curve files")
                fetch_failures.put(Outcome(result.kepler_id, failure=Failure(
                    result.kepler_id, "fetch", "FetchError", message, mission=mission),
                    download_seconds=result.seconds, mission=mission))
                continue
            task = Task(result.kepler_id, tuple(str(p) for p in result.paths),
                        settings.quality, download_seconds=result.seconds, mission=mission)
            put_unless_stopped(tasks, task, stop)
    except ArchiveUnavailableError as exc:  # the budget is spent: unfetched targets stay pending
        if archive_lost is None:
            raise
        archive_lost.append(exc)
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


class _Run:
    """The state of one run while its outcomes arrive: the open batch, the summary and the
    run record, committed together at every batch boundary."""

    def __init__(self, store: Store, record: RunRecord, key: str, settings: RunSettings,
                 summary: RunSummary, progress: Progress | None, started: float) -> None:
        self.store, self.record, self.key, self.settings = store, record, key, settings
        self.summary, self.progress, self.started = summary, progress, started
        self.batch: list[Outcome] = []
        self.batch_number = 0
        self.batch_started = datetime.now(UTC)
        self.valid_counts: list[int] = []

    def take(self, outcome: Outcome) -> None:
        """Count one outcome, report it, and commit the batch when it is full."""
        summary = self.summary
        if outcome.row is not None:
            summary.done += 1
            self.valid_counts.append(outcome.row.n_valid)
        elif outcome.failure is not None:
            if outcome.kepler_id < 0:  # the fetch stage itself failed
                summary.failures_by_reason[outcome.failure.error_type] += 1
                summary.failed_targets.append(("fetch stage", outcome.failure.message))
                return
            summary.failed += 1
            summary.failures_by_reason[outcome.failure.error_type] += 1
            if len(summary.failed_targets) < MAX_LISTED_FAILURES:
                summary.failed_targets.append((outcome.target_id, outcome.failure.message))
        self.batch.append(outcome)
        summary.seconds = time.perf_counter() - self.started
        if self.progress is not None:
            self.progress(outcome, summary)
        if len(self.batch) >= self.settings.batch_size:
            self.flush()

    def take_all(self, outcomes: queue.Queue[Outcome]) -> None:
        while True:
            try:
                self.take(outcomes.get_nowait())
            except queue.Empty:
                return

    def flush(self) -> None:
        """Commit the open batch (rows, failures, its log line) and the run record.

        The batch stays open until its transaction is committed: an interruption in the
        middle of the write (Ctrl-C, SIGTERM) leaves it to the final flush, not lost."""
        if not self.batch:
            return
        batch = self.batch
        rows = [o.row for o in batch if o.row is not None]
        failures = [o.failure for o in batch if o.failure is not None and o.kepler_id >= 0]
        downloads = [o.download_seconds for o in batch]
        extractions = [o.seconds for o in batch if o.row is not None]
        self.store.write_batch(
            rows, failures, self.record.run_id, self.key,
            BatchLog(self.batch_number + 1, self.batch_started,
                     avg_download_time=sum(downloads) / len(downloads),
                     avg_extraction_time=(sum(extractions) / len(extractions)
                                          if extractions else None),
                     notes=f"run {self.record.run_id}"),
        )
        self.batch = []
        self.batch_number += 1
        self.batch_started = datetime.now(UTC)
        self.summary.batches_committed = self.batch_number
        self.record.n_done, self.record.n_failed = self.summary.done, self.summary.failed
        save_run(self.store, self.record)

    def close(self, save: bool) -> None:
        """Final figures into the summary and the run record (saved unless `save` is False:
        the database is gone, and retrying its whole budget again would only delay the stop)."""
        summary, record = self.summary, self.record
        summary.seconds = time.perf_counter() - self.started
        summary.features_per_target = (sum(self.valid_counts) / len(self.valid_counts)
                                       if self.valid_counts else 0.0)
        record.finished_at = datetime.now(UTC)
        record.n_done, record.n_failed = summary.done, summary.failed
        record.targets_per_second = summary.rate
        if record.status == "running":
            record.status = "failed"
        try:
            if save:
                save_run(self.store, record)
        except Exception as exc:  # never hide the original error behind this one
            log.error("could not save the run record: %s", exc)


def _start_record(store: Store, kepler_ids: list[int], skipped: int, key: str,
                  settings: RunSettings, archive_name: str, labels: dict[int, str] | None,
                  argv: list[str] | None) -> RunRecord:
    record = RunRecord.start(
        settings.label,
        {**settings.feature_settings(), "quality": settings.quality,
         "workers": settings.workers, "batch_size": settings.batch_size,
         "io_concurrency": settings.io_concurrency, "target_timeout": settings.target_timeout,
         "archive_outage_budget": settings.archive_outage_budget,
         "executor": settings.executor, "dask_scheduler": settings.dask_scheduler,
         "force": settings.force, "retry_failed": settings.retry_failed,
         "settings_hash": key, "mission": settings.mission},
        archive_name, len(kepler_ids), argv=argv or sys.argv,
    )
    record.n_skipped = skipped
    store.register_targets(kepler_ids, labels, settings.mission)
    save_run(store, record)
    return record


def _executor(settings: RunSettings) -> LocalExecutor | DaskExecutor:
    if settings.executor == "dask" or settings.dask_scheduler:
        return DaskExecutor(settings.dask_scheduler, settings.workers, settings.target_timeout)
    return LocalExecutor(settings.workers, settings.target_timeout)


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
    record = _start_record(store, kepler_ids, skipped, key, settings, archive_name, labels, argv)
    summary = RunSummary(record.run_id, requested=len(kepler_ids), skipped=skipped)
    if not todo:
        record.status, record.finished_at = "complete", datetime.now(UTC)
        save_run(store, record)
        return summary

    tasks: queue.Queue[Task | None] = queue.Queue(maxsize=max(4, 2 * settings.workers))
    fetch_failures: queue.Queue[Outcome] = queue.Queue()
    stop = threading.Event()
    archive_lost: list[ArchiveUnavailableError] = []

    def on_outage(event: OutageEvent) -> None:
        """The archive went away or came back: say so in the log and on the progress bar."""
        if event.state == "down":
            log.warning("%s (%s)", event.message, event.reason)
            summary.archive_note = event.message
        else:
            log.warning("%s", event.message)
            summary.archive_note = ""
        if progress is not None:
            progress(None, summary)

    fetcher = threading.Thread(
        target=fetch_stage, args=(archive, todo, settings, tasks, fetch_failures, stop,
                                   on_outage, archive_lost),
        name="lcfeat-fetch-stage", daemon=True,
    )
    executor = executor or _executor(settings)
    state = _Run(store, record, key, settings, summary, progress, started)
    database_lost = False
    fetcher.start()
    try:
        for outcome in executor.run(tasks):
            state.take_all(fetch_failures)
            state.take(outcome)
        fetcher.join()
        state.take_all(fetch_failures)
        state.flush()
        if archive_lost:
            summary.stopped = str(archive_lost[0])
            record.status = "stopped"
        else:
            record.status = "complete"
    except KeyboardInterrupt:
        summary.interrupted = True
        record.status = "interrupted"
        stop.set()
        state.flush()
    except DatabaseUnavailableError:
        database_lost = True
        raise
    finally:
        stop.set()
        fetcher.join(timeout=10)
        state.close(save=not database_lost)
    return summary
