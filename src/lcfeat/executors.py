"""Where per-target work runs: isolated local worker processes, or a Dask cluster.

A local worker that dies (segfault, bus error, SIGKILL, out of memory) or runs past the time-out
takes only its own target down: the parent knows which target each worker holds, records the
reason, retries the target once in a fresh process, and starts a replacement worker.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import time
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from lcfeat.errors import LcfeatError
from lcfeat.features.extract import FeatureRow, extract_features
from lcfeat.lightcurve import read_light_curve
from lcfeat.store import Failure

log = logging.getLogger(__name__)

#: Attempts per target when its worker process dies or times out (first try + one retry).
MAX_ATTEMPTS = 2
_DONE = None


@dataclass(frozen=True)
class Task:
    kepler_id: int
    paths: tuple[str, ...]
    quality: str | int = "default"
    attempt: int = 1
    download_seconds: float = 0.0


@dataclass
class Outcome:
    kepler_id: int
    row: FeatureRow | None = None
    failure: Failure | None = None
    seconds: float = 0.0
    download_seconds: float = 0.0
    quarters: tuple[int, ...] = field(default_factory=tuple)


def run_task(task: Task) -> Outcome:
    """Read and extract one target. Errors become a `Failure`; this never raises."""
    started = time.perf_counter()
    stage = "read"
    try:
        lc = read_light_curve(list(task.paths), quality=task.quality, kepler_id=task.kepler_id)
        stage = "extract"
        row = extract_features(lc)
        return Outcome(task.kepler_id, row=row, seconds=time.perf_counter() - started,
                       download_seconds=task.download_seconds, quarters=lc.quarters)
    except LcfeatError as exc:
        failure = Failure(task.kepler_id, stage, type(exc).__name__, str(exc), task.attempt)
    except Exception as exc:  # a bug or a library error: keep the run going, keep the evidence
        last = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"{exc} (at {os.path.basename(last.filename)}:{last.lineno})"
        failure = Failure(task.kepler_id, stage, type(exc).__name__, message, task.attempt)
    return Outcome(task.kepler_id, failure=failure, seconds=time.perf_counter() - started,
                   download_seconds=task.download_seconds)


def _worker_main(conn: Connection) -> None:
    # Ctrl-C goes to the whole process group; the parent alone decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is _DONE:
            return
        conn.send(run_task(task))


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (likely out of memory)" if name == "SIGKILL" else ""
        return f"worker process died with {name}{hint}"
    return f"worker process exited with code {exitcode}"


class _Worker:
    def __init__(self, context: mp.context.BaseContext) -> None:
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0

    def give(self, task: Task) -> None:
        self.task = task
        self.started = time.monotonic()
        self.conn.send(task)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(_DONE)
            except (OSError, BrokenPipeError):
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class LocalExecutor:
    """A pool of worker processes, each handling one target at a time."""

    def __init__(self, workers: int, target_timeout: float | None = None,
                 start_method: str = "spawn") -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.target_timeout = target_timeout
        self.context = mp.get_context(start_method)

    def run(self, tasks: queue.Queue[Task | None]) -> Iterator[Outcome]:
        """Outcomes of the tasks put on `tasks` (until a None), in completion order."""
        pool = [_Worker(self.context) for _ in range(self.workers)]
        retry: deque[Task] = deque()
        source_open = True
        try:
            while True:
                idle = [w for w in pool if w.task is None]
                for worker in idle:
                    task = retry.popleft() if retry else None
                    if task is None and source_open:
                        busy = any(w.task is not None for w in pool)
                        try:
                            task = tasks.get(timeout=0.05 if busy else None)
                        except queue.Empty:
                            task = None
                        if task is _DONE:
                            source_open = False
                            task = None
                    if task is None:
                        break
                    worker.give(task)
                busy = [w for w in pool if w.task is not None]
                if not busy:
                    if not source_open and not retry:
                        return
                    continue
                timeout = 0.05 if source_open else None
                if self.target_timeout:
                    now = time.monotonic()
                    left = min(w.started + self.target_timeout - now for w in busy)
                    timeout = max(0.0, left) if timeout is None else min(timeout, max(0.0, left))
                ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                             timeout=timeout)
                for worker in busy:
                    task = worker.task
                    assert task is not None
                    if worker.conn in ready:
                        try:
                            outcome = worker.conn.recv()
                        except (EOFError, OSError):
                            outcome = None
                        if outcome is not None:
                            worker.task = None
                            yield outcome
                            continue
                    timed_out = (self.target_timeout is not None
                                 and time.monotonic() - worker.started > self.target_timeout)
                    dead = worker.process.sentinel in ready or not worker.process.is_alive()
                    if not (dead or timed_out):
                        continue
                    if timed_out and not dead:
                        reason = f"timed out after {self.target_timeout:g} s"
                        worker.stop(kill=True)
                    else:
                        worker.process.join(timeout=1)
                        reason = _death_reason(worker.process.exitcode)
                        worker.stop(kill=True)
                    pool[pool.index(worker)] = _Worker(self.context)
                    if task.attempt < MAX_ATTEMPTS:
                        log.warning("KIC %s: %s; retrying in a fresh process",
                                    task.kepler_id, reason)
                        retry.append(Task(task.kepler_id, task.paths, task.quality,
                                          task.attempt + 1, task.download_seconds))
                    else:
                        error_type = "Timeout" if timed_out and not dead else "WorkerCrash"
                        yield Outcome(task.kepler_id, failure=Failure(
                            task.kepler_id, "extract", error_type, reason, task.attempt),
                            download_seconds=task.download_seconds)
        finally:
            for worker in pool:
                worker.stop(kill=worker.task is not None)


class DaskExecutor:
    """The same per-target work on a Dask distributed cluster (`tcp://host:port` or local)."""

    def __init__(self, scheduler: str | None = None, workers: int = 2,
                 target_timeout: float | None = None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.target_timeout = target_timeout

    def run(self, tasks: queue.Queue[Task | None]) -> Iterator[Outcome]:
        from distributed import Client, LocalCluster, as_completed

        cluster = None
        if self.scheduler:
            client = Client(self.scheduler)
        else:
            cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            futures = as_completed([], with_results=False)
            pending: dict[object, Task] = {}
            source_open = True
            limit = max(4, 4 * len(client.scheduler_info().get("workers", {})) or 8)
            while source_open or pending:
                while source_open and len(pending) < limit:
                    try:
                        task = tasks.get(timeout=0.05 if pending else None)
                    except queue.Empty:
                        break
                    if task is _DONE:
                        source_open = False
                        break
                    future = client.submit(run_task, task, pure=False, retries=MAX_ATTEMPTS - 1,
                                           key=f"lcfeat-{task.kepler_id}-{time.monotonic_ns()}")
                    pending[future] = task
                    futures.add(future)
                if not pending:
                    continue
                try:
                    future = next(iter(futures.next_batch(block=not source_open)), None)
                except StopIteration:
                    future = None
                if future is None:
                    continue
                task = pending.pop(future)
                try:
                    yield future.result()
                except Exception as exc:  # KilledWorker and friends: the target fails alone
                    yield Outcome(task.kepler_id, failure=Failure(
                        task.kepler_id, "extract", type(exc).__name__, str(exc), MAX_ATTEMPTS))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
