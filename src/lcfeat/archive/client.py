"""MAST (or any MAST-layout HTTP tree) through one async httpx client.

Per target: use the cache when its manifest says the target is complete and every file still
verifies; otherwise discover the target's files and fetch what the cache lacks. Discovery
("auto"): read the target's folder listing; when the folder cannot be listed (403, 404, an
error after every retry) try the 19 known long-cadence names instead, a 404 meaning "not
observed that quarter", so a target whose every name answers 404 is "not in the archive".

Requests share one connection pool and a bound on how many run at once. A failed request is
retried with exponential back-off and jitter; 429 and 503 wait as long as the server's
Retry-After says, and a 429 pauses every request of the run, not just the one that got it. A
download that fails verification (flipped bytes, a short body) is retried too and never
reaches the cache under its real name. Failures of the kind an absent server causes
(connection, name resolution, time-outs, 5xx, 408, 429) are reported to the fetch's
`OutageMonitor`, which tells an outage of the archive from a target's own problem.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import logging
import random
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from lcfeat.archive import layout
from lcfeat.archive.base import (
    Archive,
    FetchResult,
    VerifiedFile,
    assemble_result,
    run_sync,
)
from lcfeat.archive.cache import Cache, Manifest, atomic_write_verified
from lcfeat.archive.mirror import not_found
from lcfeat.archive.outage import OUTAGE_STREAK, PROBE_BASE, PROBE_MAX, OutageMonitor
from lcfeat.archive.verify import VerifyResult, verify_file
from lcfeat.config import redact
from lcfeat.errors import ArchiveError, ConfigurationError, TargetNotFoundError
from lcfeat.version import __version__

log = logging.getLogger(__name__)

#: Statuses worth another try: the server or something on the way is briefly unable to serve.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
DISCOVERY_MODES = ("auto", "listing", "stamps")

T = TypeVar("T")


@dataclass(frozen=True)
class ClientSettings:
    """Network behaviour; the defaults suit MAST, tests shrink the times."""

    concurrency: int = 8
    connect_timeout: float = 15.0
    #: Longest silence while waiting for bytes of a response.
    read_timeout: float = 60.0
    #: Longest time for one whole request, guarding against a slow trickle.
    request_timeout: float = 300.0
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    #: A Retry-After longer than this is cut to it.
    max_retry_after: float = 300.0
    #: "auto": folder listing, falling back to the 19 known names if there is no listing.
    discovery: str = "auto"
    user_agent: str = field(default_factory=lambda: f"lcfeat/{__version__}")
    #: Seed of the back-off jitter (None: unpredictable, as jitter should be in production).
    jitter_seed: int | None = None
    #: During an outage: first and longest wait between two probes of the archive, seconds.
    outage_probe_base: float = PROBE_BASE
    outage_probe_max: float = PROBE_MAX
    #: Requests in a row failing the outage way that make an outage whatever the probe says.
    outage_streak: int = OUTAGE_STREAK
    #: Longest wait for the name of the archive's host to resolve when a run starts.
    resolve_timeout: float = 15.0

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.max_attempts < 1:
            raise ValueError("concurrency and max_attempts must be at least 1")
        if self.discovery not in DISCOVERY_MODES:
            raise ValueError(f"discovery must be one of {DISCOVERY_MODES}, not {self.discovery!r}")


class _Retry(Exception):
    """A failed attempt that may succeed if repeated after ``delay`` seconds (None: back-off).

    ``outage``: the failure is of the kind an absent or overwhelmed server causes (no
    connection, a time-out, 5xx), as opposed to a bad body (failed verification).
    """

    def __init__(self, message: str, delay: float | None = None, outage: bool = True) -> None:
        super().__init__(message)
        self.delay = delay
        self.outage = outage


class _NotFound(Exception):
    """HTTP 404: for a file, the quarter was not observed; for a folder, the target is unknown."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), else None."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, moment.timestamp() - now)


def _behind_proxy(url: httpx.URL) -> bool:
    """Whether requests to `url` go through a proxy from the environment (as httpx does)."""
    proxies = urllib.request.getproxies()
    if not (proxies.get(url.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(url.host)


def _announced_size(response: httpx.Response) -> int | None:
    """The body size the server announced, when the body was sent without encoding."""
    announced = response.headers.get("Content-Length", "")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    return (int(announced) if announced.isascii() and announced.isdigit()
            and encoding == "identity" else None)


_tls_lock = threading.Lock()


@functools.cache
def _cached_tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR


def _tls_context() -> ssl.SSLContext:
    """One TLS context per process: building one (loading CA certificates) takes ~50 ms."""
    with _tls_lock:
        return _cached_tls_context()


@dataclass
class _Session:
    client: httpx.AsyncClient
    requests: asyncio.Semaphore
    rng: random.Random
    outage: OutageMonitor | None = None
    #: Event-loop time before which no request may start (set by a 429).
    paused_until: float = 0.0
    #: The last file the archive served: what a probe asks for (a tree whose listings
    #: answer while its files fail is down for a run).
    served_file: str | None = None

    async def wait_if_paused(self) -> None:
        loop = asyncio.get_running_loop()
        while (remaining := self.paused_until - loop.time()) > 0:
            await asyncio.sleep(remaining)

    def answered(self) -> None:
        """The archive answered a request (whatever the answer): it is there."""
        if self.outage is not None:
            self.outage.answered()

    def pause(self, seconds: float) -> None:
        until = asyncio.get_running_loop().time() + seconds
        self.paused_until = max(self.paused_until, until)


@dataclass
class _FileOutcome:
    name: str
    verified: VerifiedFile | None = None
    downloaded_bytes: int = 0
    from_disk: bool = False
    error: str | None = None
    note: str | None = None


class HttpArchive(Archive):
    """A MAST-layout tree over HTTP(S), with lcfeat's cache in front of it."""

    def __init__(self, base_url: str = layout.MAST_LIGHTCURVES_URL, cache: Cache | None = None,
                 settings: ClientSettings | None = None) -> None:
        self.settings = settings or ClientSettings()
        super().__init__(self.settings.concurrency)
        self.base_url = base_url.rstrip("/") + "/"
        self.cache = cache or Cache()
        self.description = redact(self.base_url)  # shown in logs and errors: no credential
        self._rng = random.Random(self.settings.jitter_seed)

    # -- session ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _session(self, concurrency: int, outage: OutageMonitor | None = None
                       ) -> AsyncIterator[_Session]:
        s = self.settings
        timeout = httpx.Timeout(s.read_timeout, connect=s.connect_timeout, pool=None)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        headers = {"User-Agent": s.user_agent, "Accept-Encoding": "identity"}
        tls = await asyncio.to_thread(_tls_context)
        async with httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers,
                                     follow_redirects=True, verify=tls) as client:
            yield _Session(client, asyncio.Semaphore(concurrency), self._rng, outage)

    def _outage_timing(self) -> dict[str, float | int | None]:
        s = self.settings
        return {"probe_base": s.outage_probe_base, "probe_max": s.outage_probe_max,
                "streak": s.outage_streak, "seed": s.jitter_seed}

    async def _probe(self, session: _Session) -> str | None:
        """Does the archive answer? One GET, its body left unread, of the last file it served
        (of the tree's root before any): any status but 5xx, 408 and 429 (a file, a
        listing, 403, 404) means it serves."""
        limit = self.settings.connect_timeout + self.settings.read_timeout
        try:
            async with asyncio.timeout(limit):
                url = session.served_file or self.base_url
                async with session.client.stream("GET", url) as response:
                    status = response.status_code
        except TimeoutError:
            return f"no answer within {limit:g} s"
        except (httpx.TransportError, httpx.DecodingError) as error:
            return f"{type(error).__name__}: {redact(str(error)) or 'connection failed'}"
        if status in RETRYABLE_STATUSES or status >= 500:
            return f"HTTP {status}"
        return None

    def check_host(self) -> None:
        """ConfigurationError when the archive's host name does not resolve (a typo, no
        network): found before a run starts instead of as an outage of every request.
        Skipped behind a proxy, which resolves names itself."""
        url = httpx.URL(self.base_url)
        host = url.host
        if not host or _behind_proxy(url):
            return
        port = url.port or (443 if url.scheme == "https" else 80)
        answer: dict[str, BaseException | None] = {}

        def resolve() -> None:
            try:
                socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                answer["error"] = None
            except (OSError, UnicodeError) as error:
                answer["error"] = error

        resolver = threading.Thread(target=resolve, name="lcfeat-resolve", daemon=True)
        resolver.start()
        resolver.join(self.settings.resolve_timeout)
        if "error" not in answer:
            problem = f"no answer within {self.settings.resolve_timeout:g} s"
        elif answer["error"] is None:
            return
        else:
            error = answer["error"]
            problem = getattr(error, "strerror", None) or str(error)
        offline = (f"; to work offline from what is cached, give --archive {self.cache.root}"
                   if self.cache.root.is_dir() else "")
        raise ConfigurationError(
            f"archive {self.description}: the host name {host} does not resolve ({problem}); "
            f"check the URL and the network{offline}"
        )

    # -- one request, retried -----------------------------------------------------------------

    def _backoff(self, session: _Session, attempt: int) -> float:
        """Exponential back-off with "equal jitter": half fixed, half random."""
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + session.rng.uniform(0, ceiling / 2)

    async def _get_once(self, session: _Session, url: str) -> httpx.Response:
        """One GET; a 200 response with its whole body, or _NotFound / _Retry / ArchiveError."""
        async with session.requests:
            # Checked after getting a slot: requests queued before a 429 must wait too.
            await session.wait_if_paused()
            try:
                async with asyncio.timeout(self.settings.request_timeout):
                    response = await session.client.get(url)
            except TimeoutError:
                raise _Retry(
                    f"no complete response within {self.settings.request_timeout:g} s"
                ) from None
            except httpx.TimeoutException as error:
                raise _Retry(f"{type(error).__name__}: the server went silent (connect "
                             f"{self.settings.connect_timeout:g} s, read "
                             f"{self.settings.read_timeout:g} s limits)") from None
            except (httpx.TransportError, httpx.DecodingError) as error:
                detail = redact(str(error)) or "connection closed or reset"
                raise _Retry(f"{type(error).__name__}: {detail}") from None
        status = response.status_code
        if status == 200:
            # Content-Length counts encoded bytes: compare only for an unencoded body.
            announced = _announced_size(response)
            if announced is not None and announced != len(response.content):
                raise _Retry(f"received {len(response.content)} of {announced} bytes")
            session.answered()
            if url.endswith(".fits"):
                session.served_file = url
            return response
        if status in RETRYABLE_STATUSES:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None:
                wait = min(wait, self.settings.max_retry_after)
                if status == 429:
                    session.pause(wait)  # the whole run slows down, not only this request
            raise _Retry(f"HTTP {status} {response.reason_phrase}".rstrip(), delay=wait)
        session.answered()
        if status == 404:
            raise _NotFound(redact(url))
        raise ArchiveError(f"{redact(url)}: HTTP {status} {response.reason_phrase} "
                           "(not retried)")

    async def _with_retries(self, session: _Session, url: str,
                            accept: Callable[[httpx.Response], Awaitable[T]]) -> T:
        """GET ``url`` until ``accept(response)`` returns a value, retrying what may pass.

        ``accept`` may itself raise _Retry (e.g. a body that fails verification). During an
        outage of the archive (see `OutageMonitor`) the request waits for the archive to come
        back and then starts its attempts afresh.
        """
        shown = redact(url)
        outage = session.outage
        last = "no attempt made"
        attempt = 0
        while True:
            attempt += 1
            if outage is not None and await outage.wait_until_up():
                attempt = 1  # waited out an outage: a fresh start
            try:
                response = await self._get_once(session, url)
                return await accept(response)
            except _Retry as failure:
                last = str(failure)
                delay = failure.delay if failure.delay is not None else self._backoff(session,
                                                                                      attempt)
                if failure.outage and outage is not None:
                    if attempt >= self.settings.max_attempts:
                        if await outage.exhausted(last):
                            attempt = 0
                            continue
                    elif await outage.check(last):
                        attempt = 0
                        continue
            if attempt >= self.settings.max_attempts:
                break
            log.info("%s: %s; attempt %d of %d in %.2f s", shown, last, attempt + 1,
                     self.settings.max_attempts, delay)
            await asyncio.sleep(delay)
        raise ArchiveError(f"{shown}: gave up after {self.settings.max_attempts} attempts "
                           f"({last})")

    # -- discovery ----------------------------------------------------------------------------

    async def _discover(self, session: _Session, kepler_id: int) -> tuple[list[str], bool]:
        """The file names to get, and whether they are guesses (a 404 then just means absent)."""
        if self.settings.discovery == "stamps":
            return layout.candidate_filenames(kepler_id), True
        url = layout.target_url(self.base_url, kepler_id)

        async def listing(response: httpx.Response) -> list[str]:
            return layout.names_in_listing(response.text, kepler_id)

        try:
            names = await self._with_retries(session, url, listing)
        except _NotFound:
            if self.settings.discovery == "listing" or self.mission != "kepler":
                raise TargetNotFoundError(
                    f"{not_found(self.mission)} ({redact(url)} does not exist)") from None
            # A server that does not list folders may answer 404 for every folder: only the
            # files themselves can say whether the target was observed.
            log.info("KIC %d: the folder answers 404; trying the 19 known file names",
                     kepler_id)
            return layout.candidate_filenames(kepler_id), True
        except ArchiveError as error:
            if self.settings.discovery == "listing":
                raise
            log.info("KIC %d: no folder listing (%s); trying the 19 known file names",
                     kepler_id, error)
            return layout.candidate_filenames(kepler_id), True
        return names, False

    # -- files --------------------------------------------------------------------------------

    def _file_url(self, kepler_id: int, filename: str) -> str:
        """Where a file of the target is, below the tree's root."""
        return layout.file_url(self.base_url, kepler_id, filename)

    async def _download(self, session: _Session, kepler_id: int, filename: str,
                        destination: Path) -> tuple[VerifyResult, int]:
        """Download, verify and place one file; ArchiveError after the last attempt."""
        url = self._file_url(kepler_id, filename)

        async def store(response: httpx.Response) -> tuple[VerifyResult, int]:
            body = response.content
            verdict = await asyncio.to_thread(atomic_write_verified, destination, body,
                                              kepler_id, _announced_size(response),
                                              self.mission)
            if not verdict.ok:
                log.warning("%s: download failed verification: %s", redact(url), verdict.reason)
                raise _Retry(f"download failed verification: {verdict.reason}", outage=False)
            return verdict, len(body)

        return await self._with_retries(session, url, store)

    async def _obtain(self, session: _Session, kepler_id: int, filename: str, guessed: bool,
                      expected_size: int | None) -> _FileOutcome:
        outcome = _FileOutcome(filename)
        path = self.cache.path_for(kepler_id, filename)
        if path.exists():
            verdict = await asyncio.to_thread(verify_file, path, kepler_id, expected_size,
                                              self.mission)
            if verdict.ok:
                outcome.verified = VerifiedFile(path, verdict.quarter, verdict.size)
                outcome.from_disk = True
                return outcome
            with contextlib.suppress(FileNotFoundError):  # a twin task moved it already
                await asyncio.to_thread(self.cache.quarantine, path, verdict.reason)
            outcome.note = f"{path}: {verdict.reason} (quarantined, fetched again)"
        try:
            await asyncio.to_thread(self.cache.ensure)
            verdict, received = await self._download(session, kepler_id, filename, path)
        except _NotFound:
            if not guessed:
                log.warning("%s %d: %s is listed but answers 404",
                            "TIC" if self.mission == "tess" else "KIC", kepler_id, filename)
            return outcome  # not observed that quarter
        except ArchiveError as error:
            outcome.error = str(error)
            return outcome
        outcome.verified = VerifiedFile(path, verdict.quarter, verdict.size)
        outcome.downloaded_bytes = received
        return outcome

    async def _from_manifest(self, kepler_id: int,
                             manifest: Manifest) -> list[VerifiedFile] | None:
        """The target's files if the cache holds all of them intact, else None."""
        paths = [self.cache.path_for(kepler_id, name) for name in manifest.sizes]
        verdicts = await asyncio.gather(*(
            asyncio.to_thread(verify_file, path, kepler_id, size, self.mission)
            for path, size in zip(paths, manifest.sizes.values(), strict=True)
        ))
        if not all(verdicts):
            return None  # the caller re-checks each file, quarantines and re-fetches
        return [VerifiedFile(path, verdict.quarter, verdict.size)
                for path, verdict in zip(paths, verdicts, strict=True)]

    async def _fetch_target(self, session: _Session, kepler_id: int,
                            result: FetchResult) -> None:
        manifest = await asyncio.to_thread(self.cache.read_manifest, kepler_id)
        if manifest is not None:
            cached = await self._from_manifest(kepler_id, manifest)
            if cached is not None:
                assemble_result(result, cached)
                result.from_disk = len(cached)
                return
        # A download killed earlier may have left its temporary file behind.
        await asyncio.to_thread(self.cache.remove_stale_temporaries, kepler_id)
        names, guessed = await self._discover(session, kepler_id)
        known_sizes = manifest.sizes if manifest else {}
        outcomes = await asyncio.gather(*(
            self._obtain(session, kepler_id, name, guessed, known_sizes.get(name))
            for name in names
        ))
        files = [outcome.verified for outcome in outcomes if outcome.verified]
        assemble_result(result, files)
        result.downloaded_bytes = sum(outcome.downloaded_bytes for outcome in outcomes)
        result.from_disk = sum(outcome.from_disk for outcome in outcomes)
        result.problems += [outcome.note for outcome in outcomes if outcome.note]
        failures = [outcome for outcome in outcomes if outcome.error]
        result.problems += [outcome.error for outcome in failures]
        if failures:
            raise ArchiveError(
                f"{len(failures)} of {len(failures) + len(files)} files could not be fetched "
                f"(first: {failures[0].error})"
            )
        if not files:
            raise TargetNotFoundError(not_found(self.mission))
        await asyncio.to_thread(self.cache.write_manifest, Manifest(
            kepler_id, {item.path.name: item.size for item in files}, self.base_url))

    # -- repair -------------------------------------------------------------------------------

    def fetch_file(self, kepler_id: int, filename: str, destination: Path) -> VerifyResult:
        """Download one file into ``destination`` (verified, atomic): used to repair a cache."""
        async def run() -> VerifyResult:
            async with self._session(1) as session:
                try:
                    verdict, _ = await self._download(session, kepler_id, filename, destination)
                except _NotFound:
                    return VerifyResult(False, f"{filename} is not in {self.description} (404)")
                except ArchiveError as error:
                    return VerifyResult(False, str(error))
                return verdict

        return run_sync(run)
