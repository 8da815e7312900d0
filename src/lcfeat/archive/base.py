"""What every archive gives: verified files per target, async or from a plain iterator.

`Archive.fetch` is an async iterator (for code that runs its own event loop);
`Archive.iter_fetch` runs that loop in a background thread and hands results over a bounded
queue, so a synchronous pipeline can feed a CPU pool while downloads continue, and a slow
consumer holds the downloads back instead of filling memory. Results come in completion order.

Given an outage budget, a fetch rides out an outage of the archive (see `outage`): targets
wait instead of failing, and when the budget is spent the fetch ends with
`ArchiveUnavailableError` after handing over every target it finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lcfeat.archive.outage import Listener, OutageMonitor
from lcfeat.errors import ArchiveUnavailableError, LcfeatError
from lcfeat.targets.ids import check_id, format_target_id

log = logging.getLogger(__name__)

T = TypeVar("T")


def put_unless_stopped(tasks: queue.Queue, item: object, stop: threading.Event,
                       poll: float = 0.2) -> bool:
    """Put `item` on the bounded queue, waiting for room, unless `stop` is set first
    (checked every `poll` seconds); False when it was not put."""
    while not stop.is_set():
        try:
            tasks.put(item, timeout=poll)
            return True
        except queue.Full:
            continue
    return False


@dataclass
class FetchResult:
    """One target's verified long-cadence files.

    ``error`` is None when every file the archive holds for the target was obtained and
    verified; otherwise it is one line saying what went wrong and the target must be treated
    as failed (``paths`` then still lists the files that did verify, for information).
    ``problems`` lists per-file events that were overcome (a corrupt cached copy quarantined
    and fetched again) or that caused the error.
    """

    kepler_id: int
    paths: list[Path] = field(default_factory=list)
    quarters: list[int] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    #: Total size of the files in ``paths``.
    bytes: int = 0
    #: Bytes received over the network for this target (0 when everything came from disk).
    downloaded_bytes: int = 0
    #: How many of ``paths`` were already on disk (cache, mirror) rather than downloaded.
    from_disk: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class VerifiedFile:
    path: Path
    quarter: int
    size: int


def assemble_result(result: FetchResult, files: Iterable[VerifiedFile]) -> FetchResult:
    """Fill ``paths``, ``quarters`` and ``bytes`` with files sorted by quarter, then name."""
    ordered = sorted(files, key=lambda item: (item.quarter, item.path.name))
    result.paths = [item.path for item in ordered]
    result.quarters = [item.quarter for item in ordered]
    result.bytes = sum(item.size for item in ordered)
    return result


class _Done:
    """Marks the end of a stream of results."""


_DONE = _Done()


@dataclass
class _Failure:
    error: BaseException


class Archive(ABC):
    """A source of Kepler long-cadence files: MAST over HTTP, a local mirror, a lightkurve cache
    (or of TESS SPOC files, for an archive whose `mission` is "tess": ids are then TIC ids)."""

    #: Short description for logs and provenance.
    description: str = "archive"
    #: "kepler" or "tess": which files, named by which ids.
    mission: str = "kepler"

    def __init__(self, concurrency: int = 8) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.concurrency = concurrency

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"

    # -- to implement -------------------------------------------------------------------------

    @abstractmethod
    def _session(self, concurrency: int, outage: OutageMonitor | None = None
                 ) -> contextlib.AbstractAsyncContextManager[Any]:
        """Per-run state shared by the targets of one `fetch` (HTTP client, semaphores).

        ``outage``, when given, is told of failures of the outage kind and answers whether
        the archive is down (an archive that cannot go down may ignore it)."""

    async def _probe(self, session: Any) -> str | None:
        """None when the archive answers at all, else why not (see `OutageMonitor`)."""
        return None

    def _outage_timing(self) -> dict[str, Any]:
        """Probe intervals and streak of this archive's `OutageMonitor` (default: its own)."""
        return {}

    @abstractmethod
    async def _fetch_target(self, session: Any, kepler_id: int, result: FetchResult) -> None:
        """Fill ``result``; raise LcfeatError (message without the "KIC n:" prefix) on failure."""

    # -- shared machinery ---------------------------------------------------------------------

    async def _fetch_target_safely(self, session: Any, kepler_id: Any) -> FetchResult:
        """Never raises for a target's own problems: they become ``result.error``."""
        started = time.perf_counter()
        result = FetchResult(kepler_id=kepler_id if isinstance(kepler_id, int) else -1)
        catalog = "TIC" if self.mission == "tess" else "KIC"
        try:
            check_id(kepler_id, self.mission)
            await self._fetch_target(session, kepler_id, result)
        except ArchiveUnavailableError:
            raise  # the archive as a whole, not this target: the fetch ends
        except LcfeatError as error:
            message = str(error)
            prefix = f"{catalog} {kepler_id}:"
            result.error = message if message.startswith(prefix) else f"{prefix} {message}"
        except Exception as error:  # one target's bug must not end a 199,000-target run
            log.exception("%s %s: unexpected error while fetching", catalog, kepler_id)
            result.error = (f"{catalog} {kepler_id}: unexpected error: "
                            f"{type(error).__name__}: {error}")
        result.seconds = time.perf_counter() - started
        # DEBUG: the caller (pipeline, CLI) reports each target once, at INFO.
        if result.error:
            log.debug("%s", result.error)
        else:
            log.debug("%s: %d files (%s%s), %.1f MB, %.2f s",
                      format_target_id(kepler_id, self.mission), len(result.paths),
                      "S" if self.mission == "tess" else "Q",
                      ",".join(map(str, result.quarters)), result.bytes / 1e6, result.seconds)
        return result

    async def fetch(self, kepler_ids: Iterable[int], concurrency: int | None = None,
                    outage_budget: float | None = None,
                    on_outage: Listener | None = None) -> AsyncIterator[FetchResult]:
        """Fetch targets concurrently; yield each `FetchResult` as soon as it is complete.

        At most ``concurrency`` targets are in progress or waiting to be consumed, so a slow
        consumer slows the fetching down rather than letting results pile up.

        With ``outage_budget`` (seconds), an outage of the archive pauses the fetch instead of
        failing targets (``on_outage`` hears when it starts and ends); when it outlasts the
        budget, ArchiveUnavailableError is raised after every finished target was yielded.
        Without it, every failure is the target's.
        """
        width = concurrency or self.concurrency
        pending = iter(kepler_ids)
        results: asyncio.Queue[FetchResult | _Done] = asyncio.Queue()
        slots = asyncio.Semaphore(width)
        outage: OutageMonitor | None = None
        if outage_budget is not None:
            outage = OutageMonitor(lambda: self._probe(session), outage_budget,
                                   self.description, on_outage, **self._outage_timing())

        async with self._session(width, outage) as session:

            async def worker() -> None:
                while True:
                    await slots.acquire()
                    kepler_id = next(pending, _DONE)
                    if kepler_id is _DONE:
                        slots.release()
                        return
                    results.put_nowait(await self._fetch_target_safely(session, kepler_id))

            async def run_workers() -> None:
                try:
                    async with asyncio.TaskGroup() as group:
                        for _ in range(width):
                            group.create_task(worker())
                finally:
                    results.put_nowait(_DONE)

            runner = asyncio.create_task(run_workers())
            try:
                while not isinstance(item := await results.get(), _Done):
                    yield item
                    # Only now, when the consumer asks for more, may another target start.
                    slots.release()
                try:
                    await runner
                except BaseExceptionGroup as group:
                    # Iterating the ids, or the archive gone for good (every waiting target
                    # raises it at once): show that error, not a group.
                    kinds = {type(error) for error in group.exceptions}
                    if len(kinds) == 1:
                        raise group.exceptions[0] from None
                    raise
            finally:
                if outage is not None:
                    outage.close()
                if not runner.done():
                    runner.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await runner

    def iter_fetch(self, kepler_ids: Iterable[int], concurrency: int | None = None,
                   buffer: int | None = None, outage_budget: float | None = None,
                   on_outage: Listener | None = None,
                   stop: threading.Event | None = None) -> Iterator[FetchResult]:
        """Like `fetch`, for synchronous code: the event loop runs in a background thread.

        ``buffer`` (default: the concurrency) bounds the finished results waiting to be taken.
        Leaving the loop early (break, exception) stops the downloads cleanly, and so does
        setting ``stop`` from another thread, even while the fetch waits out an outage.
        ``on_outage`` is called from the fetch's thread.
        """
        width = concurrency or self.concurrency
        handoff: queue.Queue[FetchResult | _Done | _Failure] = queue.Queue(maxsize=buffer or width)
        leaving = threading.Event()
        started = threading.Event()
        state: dict[str, Any] = {}

        def put(item: FetchResult | _Done | _Failure) -> bool:
            return put_unless_stopped(handoff, item, leaving, poll=0.05)

        async def produce() -> None:
            state["loop"] = asyncio.get_running_loop()
            state["task"] = asyncio.current_task()
            started.set()
            try:
                stream_of = self.fetch(kepler_ids, width, outage_budget, on_outage)
                async with contextlib.aclosing(stream_of) as stream:
                    async for result in stream:
                        if not await asyncio.to_thread(put, result):
                            return
            except asyncio.CancelledError:
                return
            except BaseException as error:
                put(_Failure(error))
                return
            put(_DONE)

        def run() -> None:
            try:
                asyncio.run(produce())
            finally:
                started.set()

        thread = threading.Thread(target=run, name="lcfeat-fetch", daemon=True)
        thread.start()
        try:
            while True:
                try:
                    item = handoff.get(timeout=None if stop is None else 0.1)
                except queue.Empty:
                    if stop is not None and stop.is_set():
                        return
                    continue
                if isinstance(item, _Done):
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            leaving.set()
            started.wait()
            loop, task = state.get("loop"), state.get("task")
            if loop is not None and task is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop may close meanwhile
                    loop.call_soon_threadsafe(task.cancel)
            thread.join()

    def fetch_one(self, kepler_id: int) -> FetchResult:
        """Fetch one target synchronously."""
        return run_sync(lambda: self._fetch_single(kepler_id))

    async def fetch_target(self, kepler_id: int) -> FetchResult:
        """Fetch one target from async code."""
        return await self._fetch_single(kepler_id)

    async def _fetch_single(self, kepler_id: int) -> FetchResult:
        async with self._session(self.concurrency, None) as session:
            return await self._fetch_target_safely(session, kepler_id)


def run_sync(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running event loop.

    Inside a running loop (a notebook, an async caller) a fresh loop runs in a helper thread.
    """
    async def main() -> T:
        return await make_coroutine()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as error:
            outcome["error"] = error

    helper = threading.Thread(target=run, name="lcfeat-run-sync", daemon=True)
    helper.start()
    helper.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
