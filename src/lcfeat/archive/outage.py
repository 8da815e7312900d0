"""An outage of the archive as a whole, told apart from one target's problem.

A request that fails the way a server that is away fails (no connection, no name resolution,
a time-out, HTTP 5xx, 408 or 429) asks the `OutageMonitor` whether the archive still serves:
the monitor probes it (one probe at a time for every request of the run; the HTTP archive
asks again for the last file it served). If the probe fails too, or several requests in a
row used up their attempts that way with no answer in between, the archive is down:
every request waits (the fetch stage pauses, targets stay pending), the monitor probes with
back-off, and when the archive answers again the waiting requests start afresh. A failure the
archive's answer contradicts (a broken file, one folder's 500) stays the target's own.

After the outage budget (counted from the first failed request) the monitor gives up: every
waiting request raises `ArchiveUnavailableError`, which ends the fetch instead of failing
targets one by one. Listeners hear of each change ("down", "up", "given up").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from lcfeat.errors import ArchiveUnavailableError

log = logging.getLogger(__name__)

#: Requests in a row that used up their attempts on outage-kind failures, with no answer from
#: the archive in between, that make an outage even when the probe gets an answer.
OUTAGE_STREAK = 3
#: First and longest wait between two probes of an archive that is down, seconds.
PROBE_BASE = 2.0
PROBE_MAX = 60.0


@dataclass(frozen=True)
class OutageEvent:
    """A change of the archive's state: "down", "up" (it answers again) or "given up"."""

    state: str
    archive: str
    #: Local time of the first failed request of the outage.
    since: datetime
    reason: str
    #: Seconds from `since` to this event.
    seconds: float

    @property
    def message(self) -> str:
        since = self.since.strftime("%H:%M")
        if self.state == "down":
            return f"archive unreachable since {since}, retrying"
        if self.state == "up":
            return f"archive reachable again after {_minutes(self.seconds)}, resuming"
        return f"archive unreachable since {since}: gave up after {_minutes(self.seconds)}"


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


Probe = Callable[[], Awaitable[str | None]]
Listener = Callable[[OutageEvent], None]


class OutageMonitor:
    """The archive's reachability during one fetch, shared by all of its requests.

    `probe` returns None when the archive answered (any HTTP status but 5xx, 408 and 429),
    else why it did not. Lives in the event loop of the fetch; not thread-safe.
    """

    def __init__(self, probe: Probe, budget: float, archive: str = "archive",
                 listener: Listener | None = None, probe_base: float = PROBE_BASE,
                 probe_max: float = PROBE_MAX, streak: int = OUTAGE_STREAK,
                 seed: int | None = None) -> None:
        if not budget >= 0:
            raise ValueError(f"outage budget must be >= 0 seconds, got {budget}")
        self.probe = probe
        self.budget = budget
        self.archive = archive
        self.listener = listener
        self.probe_base = probe_base
        self.probe_max = max(probe_max, probe_base)
        self.streak_limit = streak
        self._rng = random.Random(seed)
        self._up = asyncio.Event()
        self._up.set()
        self._probing = asyncio.Lock()
        self._last_answer = time.monotonic()
        #: (monotonic, local time) of the first failure since the archive last answered, and
        #: of the outage's start: kept through a probe's answer, ended by a request's answer.
        self._first_failure: tuple[float, datetime] | None = None
        self._outage_start: tuple[float, datetime] | None = None
        self._streak = 0
        self._reason = ""
        self._given_up: ArchiveUnavailableError | None = None
        self._recovery: asyncio.Task[None] | None = None
        #: Outages met so far (for summaries and tests).
        self.outages = 0

    @property
    def down(self) -> bool:
        return not self._up.is_set()

    # -- what requests report -----------------------------------------------------------------

    def answered(self) -> None:
        """A request got an answer from the archive: whatever failed before was not an outage."""
        self._last_answer = time.monotonic()
        self._first_failure = None
        self._outage_start = None
        self._streak = 0

    def _failed(self, reason: str) -> None:
        self._reason = reason
        if self._first_failure is None:
            self._first_failure = (time.monotonic(), datetime.now().astimezone())

    async def wait_until_up(self) -> bool:
        """Return at once while the archive is up (False); during an outage, wait for its end
        and return True. Raises ArchiveUnavailableError once the budget is spent."""
        if self._given_up is not None:
            raise self._given_up
        if self._up.is_set():
            return False
        await self._up.wait()
        if self._given_up is not None:
            raise self._given_up
        return True

    async def check(self, reason: str) -> bool:
        """After a failed attempt of the outage kind: is the archive down?

        False when the archive answers (the failure is the request's own: it carries on with
        its attempts). Otherwise the archive is declared down, and this waits until it is
        back and returns True (the request starts afresh), or raises ArchiveUnavailableError.
        """
        asked = time.monotonic()
        self._failed(reason)
        if not self.down:
            async with self._probing:  # one probe for all the requests that failed together
                if not self.down and self._given_up is None:
                    if self._last_answer >= asked:
                        return False  # someone heard from the archive meanwhile
                    if await self._answers_twice():
                        return False
                    self._declare_down()
        return await self.wait_until_up()

    async def exhausted(self, reason: str) -> bool:
        """A request used up its attempts on outage-kind failures. Several in a row with no
        answer in between are an outage even if the probe gets an answer (a tree whose
        files all answer 503). True after waiting through the outage; False: the request's
        own failure."""
        self._failed(reason)
        self._streak += 1
        if not self.down and self._streak < self.streak_limit:
            return False
        if not self.down and self._given_up is None:
            self._declare_down()
        return await self.wait_until_up()

    def close(self) -> None:
        """Stop probing (the fetch is over)."""
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()

    # -- the outage itself --------------------------------------------------------------------

    async def _answers_twice(self) -> bool:
        """Whether the archive answers a probe, asked twice a short while apart (one lost
        probe must not stop a run)."""
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(self.probe_base / 2)
            reason = await self._probe()
            if reason is None:
                self._last_answer = time.monotonic()
                self._first_failure = None
                return True
            self._reason = reason
        return False

    async def _probe(self) -> str | None:
        try:
            return await self.probe()
        except Exception as error:  # a probe must never take the run down
            return f"{type(error).__name__}: {error}"

    def _declare_down(self) -> None:
        if self._first_failure is None:
            self._failed(self._reason or "no answer")
        if self._outage_start is None:
            self._outage_start = self._first_failure
        self._up.clear()
        self.outages += 1
        self._streak = 0
        self._notify("down")
        self._recovery = asyncio.get_running_loop().create_task(self._recover())

    def _elapsed(self) -> float:
        assert self._outage_start is not None
        return time.monotonic() - self._outage_start[0]

    async def _recover(self) -> None:
        delay = self.probe_base
        try:
            while True:
                remaining = self.budget - self._elapsed()
                if remaining <= 0:
                    self._give_up()
                    return
                wait = min(remaining, delay / 2 + self._rng.uniform(0, delay / 2))
                await asyncio.sleep(wait)
                reason = await self._probe()
                if reason is None:
                    self._notify("up")
                    self._last_answer = time.monotonic()
                    self._first_failure = None
                    self._up.set()
                    return
                self._reason = reason
                delay = min(self.probe_max, delay * 2)
        except Exception as error:  # never leave the waiting requests hanging
            log.exception("probing the archive failed")
            self._reason = f"{type(error).__name__}: {error}"
            self._give_up()

    def _give_up(self) -> None:
        assert self._outage_start is not None
        since = self._outage_start[1].strftime("%H:%M")
        self._given_up = ArchiveUnavailableError(
            f"the archive {self.archive} has been unreachable since {since} "
            f"({_minutes(self._elapsed())}, outage budget {_minutes(self.budget)}); "
            f"last error: {self._reason}"
        )
        self._notify("given up")
        self._up.set()  # wake every waiting request: each raises the error

    def _notify(self, state: str) -> None:
        assert self._outage_start is not None
        event = OutageEvent(state, self.archive, self._outage_start[1], self._reason,
                            self._elapsed())
        log.debug("%s (%s)", event.message, event.reason)
        if self.listener is not None:
            with contextlib.suppress(Exception):  # a listener's bug must not stop the fetch
                self.listener(event)
