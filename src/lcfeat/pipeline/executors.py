"""Where per-target work runs: isolated local worker processes, or a Dask cluster.

A local worker that dies (segfault, bus error, SIGKILL, out of memory) or runs past the time-out
takes only its own target down: the parent knows which target each worker holds, records the
reason, retries the target once in a fresh process, and starts a replacement worker.

Local workers are forked from a fork server (multiprocessing's "forkserver") that imported the
feature stack once (`PRELOAD`): a worker is ready in a fraction of a second instead of each
paying a second or two of imports, and a replacement after a crash is as quick. The server is
a single-threaded process, so forking it is safe whatever threads the parent runs; it is
started on first use and ends with the parent. Where there is no fork server (Windows),
workers are spawned.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait

from lcfeat.errors import LcfeatError
from lcfeat.features.extract import FeatureRow, extract_features
from lcfeat.lightcurve import LightCurve, read_light_curve
from lcfeat.store.records import Failure
from lcfeat.targets.ids import format_target_id

log = logging.getLogger(__name__)

#: Attempts per target when its worker process dies or times out (first try + one retry).
MAX_ATTEMPTS = 2
_DONE = None


@dataclass(frozen=True)
class Task:
    """One target's work: its files (or, from the Python API, its light curve itself)."""

    kepler_id: int
    paths: tuple[str, ...]
    quality: str | int = "default"
    attempt: int = 1
    download_seconds: float = 0.0
    light_curve: LightCurve | None = None
    #: "kepler" or "tess": `kepler_id` is a KIC or a TIC id, and every file must be of it
    mission: str = "kepler"

    @property
    def target_id(self) -> str:
        return format_target_id(self.kepler_id, self.mission)


@dataclass
class Outcome:
    kepler_id: int
    row: FeatureRow | None = None
    failure: Failure | None = None
    seconds: float = 0.0
    download_seconds: float = 0.0
    quarters: tuple[int, ...] = field(default_factory=tuple)
    mission: str = "kepler"

    @property
    def target_id(self) -> str:
        return format_target_id(self.kepler_id, self.mission)


def failed(task: Task, error_type: str, message: str, attempts: int,
           stage: str = "extract") -> Outcome:
    """The outcome of a task that failed outside `run_task` (crash, time-out, lost worker)."""
    return Outcome(task.kepler_id, failure=Failure(
        task.kepler_id, stage, error_type, message, attempts, task.mission),
        download_seconds=task.download_seconds, mission=task.mission)


def run_task(task: Task) -> Outcome:
    """Read and extract one target. Errors become a `Failure`; this never raises."""
    started = time.perf_counter()
    stage = "read"
    try:
        lc = task.light_curve
        if lc is None:
            lc = read_light_curve(list(task.paths), quality=task.quality,
                                  kepler_id=task.kepler_id, mission=task.mission)
        stage = "extract"
        row = extract_features(lc)
        return Outcome(task.kepler_id, row=row, seconds=time.perf_counter() - started,
                       download_seconds=task.download_seconds, quarters=lc.quarters,
                       mission=task.mission)
    except LcfeatError as exc:
        failure = Failure(task.kepler_id, stage, type(exc).__name__, str(exc), task.attempt,
                          task.mission)
    except Exception as exc:  # a bug or a library error: keep the run going, keep the evidence
        last = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"{exc} (at {os.path.basename(last.filename)}:{last.lineno})"
        failure = Failure(task.kepler_id, stage, type(exc).__name__, message, task.attempt,
                          task.mission)
    return Outcome(task.kepler_id, failure=failure, seconds=time.perf_counter() - started,
                   download_seconds=task.download_seconds, mission=task.mission)


Work = Callable[[Task], Outcome]


def configure_worker_process() -> None:
    """One core's worth of threads, and memory kept between targets.

    There is one worker per core already: BLAS threads of several workers fighting over the
    cores made a 65k-point dot product 200x slower, and wotan's parallel biweight waits for
    busy cores (25-600 ms instead of 20 ms).
    """
    import numba
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    numba.set_num_threads(1)
    keep_freed_memory()


def warm_up() -> None:
    """Configure the process, import and compile what every target needs, before the first
    target's clock starts."""
    from lcfeat.lightcurve import quality_bitmask

    # The domain modules came with extract_features; what is left is the process and the
    # quality-flag table.
    configure_worker_process()
    quality_bitmask("default")


def keep_freed_memory() -> bool:
    """Ask glibc malloc to keep freed memory in the worker instead of returning it.

    Every target allocates tens of MB in short-lived multi-MB arrays; by default glibc maps
    and unmaps each one, and the next target page-faults it in again (5-10 ms per target).
    Returns False where mallopt is unavailable (not glibc).
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    return all(mallopt(param, 1 << 30) == 1
               for param in (m_mmap_threshold, m_trim_threshold, m_top_pad))


_READY = "ready"

#: What the fork server imports before it forks the first worker: the feature stack (through
#: this module) and the libraries a worker loads on its first target.
PRELOAD = ("lcfeat.pipeline.executors", "numba", "threadpoolctl")


def default_start_method() -> str:
    """"forkserver" where the platform has it, else "spawn"."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def start_fork_server() -> None:
    """Start the fork server now, in the background: it imports the feature stack while the
    caller sets up (targets, archive, database), and the first workers fork off it ready.
    Does nothing where workers are spawned."""
    if default_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    context = mp.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    forkserver.ensure_running()


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the process that started it dies (a SIGKILLed run
    must not leave workers computing for nobody); elsewhere a no-op."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _worker_main(conn: Connection, work: Work, environment: dict[str, str], cwd: str) -> None:
    # Ctrl-C goes to the whole process group, and SLURM sends SIGTERM to every process of
    # the job: the parent alone decides how to stop, and stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    # A worker forked from the fork server starts with the server's environment and folder,
    # those of the moment it started: take the parent's current ones, as a spawned worker would.
    if environment != os.environ:
        os.environ.clear()
        os.environ.update(environment)
    if os.getcwd() != cwd:
        os.chdir(cwd)
    try:
        warm_up()
        conn.send(_READY)
        while True:
            task = conn.recv()
            if task is _DONE:
                return
            conn.send(work(task))
    except (EOFError, OSError):
        return  # the parent is gone or closed the pipe: nobody is left to answer


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
    def __init__(self, context: mp.context.BaseContext, work: Work) -> None:
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, daemon=True,
                                       args=(child, work, dict(os.environ), os.getcwd()))
        self.process.start()
        child.close()
        self.ready = False
        self.task: Task | None = None
        self.started = 0.0

    def give(self, task: Task) -> None:
        self.task = task
        self.started = time.monotonic()
        self.conn.send(task)

    def stop(self, kill: bool = False) -> None:
        if kill or not self.ready:
            self.process.kill()
        else:
            try:
                self.conn.send(_DONE)
            except OSError:
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class LocalExecutor:
    """A pool of worker processes, each handling one target at a time.

    The parent knows which target each worker holds, so a worker that dies or overruns the
    time-out fails only that target; it is retried once in a fresh process.
    """

    #: A worker that dies this many times before it is ready means the setup is broken.
    MAX_START_FAILURES = 3

    def __init__(self, workers: int, target_timeout: float | None = None,
                 start_method: str | None = None, work: Work = run_task) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.work = work
        self.workers = workers
        self.target_timeout = target_timeout
        self.context = mp.get_context(start_method or default_start_method())
        if self.context.get_start_method() == "forkserver":
            # Only the first call before the server starts counts; later ones are no-ops.
            self.context.set_forkserver_preload(list(PRELOAD))

    def run(self, tasks: queue.Queue[Task | None]) -> Iterator[Outcome]:
        """Outcomes of the tasks put on `tasks` (until a None), in completion order."""
        pool = [_Worker(self.context, self.work) for _ in range(self.workers)]
        retry: deque[Task] = deque()
        source_open = True
        start_failures = 0

        def next_task(block: bool) -> Task | None:
            nonlocal source_open
            if retry:
                return retry.popleft()
            if not source_open:
                return None
            try:
                task = tasks.get(timeout=None if block else 0.05)
            except queue.Empty:
                return None
            if task is _DONE:
                source_open = False
            return task

        try:
            while True:
                for worker in pool:
                    if worker.ready and worker.task is None:
                        active = any(w.task is not None or not w.ready for w in pool)
                        task = next_task(block=not active)
                        if task is None:
                            break
                        worker.give(task)
                busy = [w for w in pool if w.task is not None]
                warming = [w for w in pool if not w.ready]
                if not busy and not retry and not source_open:
                    return
                if not busy and not warming:
                    continue
                timeout: float | None = 0.05 if (source_open or retry) else None
                if self.target_timeout and busy:
                    left = min(w.started + self.target_timeout for w in busy) - time.monotonic()
                    timeout = max(0.0, left) if timeout is None else min(timeout, max(0.0, left))
                watched = busy + warming
                ready = wait([w.conn for w in watched] + [w.process.sentinel for w in watched],
                             timeout=timeout)
                for worker in warming:
                    if worker.conn in ready:
                        try:
                            worker.ready = worker.conn.recv() == _READY
                        except (EOFError, OSError):
                            worker.ready = False
                    if not worker.ready and worker.process.sentinel in ready:
                        start_failures += 1
                        reason = _death_reason(worker.process.exitcode)
                        if start_failures >= self.MAX_START_FAILURES:
                            raise RuntimeError(f"worker processes cannot start: {reason}")
                        worker.stop(kill=True)
                        pool[pool.index(worker)] = _Worker(self.context, self.work)
                for worker in busy:
                    outcome = self._collect(worker, ready)
                    if outcome is not None:
                        yield outcome
                        continue
                    failure = self._check_alive(worker, ready)
                    if failure is None:
                        continue
                    task, reason, error_type = failure
                    pool[pool.index(worker)] = _Worker(self.context, self.work)
                    if task.attempt < MAX_ATTEMPTS:
                        log.warning("%s: %s; retrying in a fresh process",
                                    task.target_id, reason)
                        retry.append(replace(task, attempt=task.attempt + 1))
                    else:
                        yield failed(task, error_type, reason, task.attempt)
        finally:
            for worker in pool:
                worker.stop(kill=worker.task is not None)

    @staticmethod
    def _collect(worker: _Worker, ready: list[object]) -> Outcome | None:
        if worker.conn not in ready:
            return None
        try:
            outcome = worker.conn.recv()
        except (EOFError, OSError):
            return None
        worker.task = None
        return outcome

    def _check_alive(self, worker: _Worker,
                     ready: list[object]) -> tuple[Task, str, str] | None:
        """(task, reason, error type) when the worker died or overran, else None."""
        task = worker.task
        assert task is not None
        dead = worker.process.sentinel in ready or not worker.process.is_alive()
        timed_out = (self.target_timeout is not None
                     and time.monotonic() - worker.started > self.target_timeout)
        if dead:
            worker.process.join(timeout=1)
            reason, error_type = _death_reason(worker.process.exitcode), "WorkerCrash"
        elif timed_out:
            reason, error_type = f"timed out after {self.target_timeout:g} s", "Timeout"
        else:
            return None
        worker.stop(kill=True)
        return task, reason, error_type


class DaskExecutor:
    """The same per-target work on a Dask distributed cluster (`tcp://host:port` or local).

    A worker that dies is replaced by Dask's nanny and its target retried once; the per-target
    time-out is the local executor's (on a cluster, the nanny's memory limit stops runaways).
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2,
                 target_timeout: float | None = None, work: Work = run_task) -> None:
        self.work = work
        self.scheduler = scheduler
        self.workers = workers
        self.target_timeout = target_timeout

    def run(self, tasks: queue.Queue[Task | None]) -> Iterator[Outcome]:
        from distributed import Client, LocalCluster, as_completed

        cluster = None
        if self.scheduler:
            client = Client(self.scheduler, timeout="30s")
        else:
            cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        try:
            client.run(configure_worker_process)  # one thread per worker, as local workers
            n_workers = len(client.scheduler_info().get("workers", {})) or self.workers
            window = 4 * max(1, n_workers)  # enough queued work per worker, memory stays flat
            completed = as_completed()
            in_flight: dict[str, Task] = {}
            source_open = True
            while source_open or in_flight:
                while source_open and len(in_flight) < window:
                    try:
                        task = tasks.get(timeout=0.05 if in_flight else None)
                    except queue.Empty:
                        break
                    if task is _DONE:
                        source_open = False
                        break
                    # a worker that dies is replaced by Dask and the target retried once
                    future = client.submit(self.work, task, pure=False,
                                           retries=MAX_ATTEMPTS - 1)
                    in_flight[future.key] = task
                    completed.add(future)
                if not in_flight:
                    continue
                future = next(completed)
                task = in_flight.pop(future.key)
                try:
                    yield future.result()
                except Exception as exc:  # KilledWorker and friends: the target fails alone
                    yield failed(task, type(exc).__name__, str(exc), MAX_ATTEMPTS)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
