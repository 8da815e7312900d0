"""The HTTP client against a real server on 127.0.0.1 that injects faults per request.

After every fault the cache must hold exactly the archive's bytes (compared with the bundled
originals) or nothing, never a partial or damaged file; a target that cannot be fetched gets a
one-line error and the run goes on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import threading
import time
from pathlib import Path

import pytest

from lcfeat.archive import Cache, ClientSettings, HttpArchive
from lcfeat.archive.cache import QUARANTINE_DIR, QUARANTINE_LOG, Manifest
from lcfeat.archive.client import parse_retry_after
from lcfeat.archive.verify import verify_file
from tests.archive.conftest import FAST
from tests.conftest import ARCHIVE, TEST_DATA, quarter_files

KEPLER_10 = 11904151
KEPLER_10_FILE = "0119/011904151/kplr011904151-2012179063303_llc.fits"
KEPLER_10_FOLDER = "0119/011904151/"
ALL_TARGETS = [3342467, 11904151, 10001893, 10002792, 9726699]


def assert_cache_clean(cache_root: Path) -> None:
    """Every cached light curve is byte-identical to the archive's; no temporary file left."""
    if not cache_root.exists():
        return
    for path in cache_root.rglob("*"):
        if QUARANTINE_DIR in path.parts or path.is_dir():
            continue
        assert not path.name.endswith(".part"), f"temporary file left: {path}"
        if path.name.endswith("_llc.fits"):
            original = ARCHIVE / path.relative_to(cache_root)
            assert path.read_bytes() == original.read_bytes(), f"{path} differs from archive"


def file_requests(server, path=KEPLER_10_FILE) -> list[str]:
    return [request.action for request in server.requests_for(path)]


# -- the normal case ------------------------------------------------------------------------

def test_fetches_every_target_with_quarters_from_headers(http_archive, server, cache_root):
    results = {r.kepler_id: r for r in http_archive.iter_fetch(ALL_TARGETS, concurrency=4)}
    assert set(results) == set(ALL_TARGETS)
    for kepler_id, result in results.items():
        originals = quarter_files(kepler_id)
        assert result.error is None
        assert [p.name for p in result.paths] == [p.name for p in originals]
        assert all(p.is_relative_to(cache_root) for p in result.paths)
        assert result.bytes == result.downloaded_bytes == sum(p.stat().st_size for p in originals)
        assert result.from_disk == 0 and result.seconds > 0
    assert results[3342467].quarters == list(range(1, 18))
    assert results[10002792].quarters == [2, 5]
    assert results[KEPLER_10].quarters == [13]
    assert_cache_clean(cache_root)
    # One listing per target and one GET per file: no wasted requests.
    assert len(server.requests) == len(ALL_TARGETS) + 22


def test_second_fetch_uses_the_cache_without_any_request(http_archive, server):
    first = http_archive.fetch_one(3342467)
    count = len(server.requests)
    second = http_archive.fetch_one(3342467)
    assert len(server.requests) == count
    assert second.paths == first.paths and second.quarters == first.quarters
    assert second.from_disk == 17 and second.downloaded_bytes == 0


def test_unknown_target_gets_a_clear_error(http_archive, cache_root):
    result = http_archive.fetch_one(123)
    assert result.error.startswith("KIC 123: no long-cadence files in the archive")
    assert result.paths == [] and not result.ok


def test_invalid_ids_fail_alone(http_archive):
    results = {r.kepler_id: r for r in http_archive.iter_fetch([KEPLER_10, 0, 9726699])}
    assert results[0].error == "KIC 0: not a KIC id (expected 1..999999999)"
    assert results[KEPLER_10].ok and results[9726699].ok


# -- injected faults ------------------------------------------------------------------------

@pytest.mark.parametrize("faults", [
    ("500",), ("503",), ("503", "500", "502"), ("truncate",), ("flip",), ("reset",),
    ("stall",), ("truncate", "flip", "reset"),
])
def test_transient_faults_end_with_the_right_file(http_archive, server, cache_root, faults):
    server.inject(KEPLER_10_FILE, *faults)
    result = http_archive.fetch_one(KEPLER_10)
    assert result.ok, result.error
    assert result.quarters == [13]
    assert file_requests(server) == [*faults, "serve"]
    assert_cache_clean(cache_root)


def test_a_stall_is_cut_by_the_read_timeout(http_archive, server):
    server.inject(KEPLER_10_FILE, "stall")
    started = time.monotonic()
    assert http_archive.fetch_one(KEPLER_10).ok
    # The server stalls 3 s; the client gives up after its 0.3 s read time-out and retries.
    assert time.monotonic() - started < 2.0


def test_429_retry_after_is_honoured(http_archive, server):
    server.inject(KEPLER_10_FILE, "429:1")
    assert http_archive.fetch_one(KEPLER_10).ok
    first, second = server.requests_for(KEPLER_10_FILE)
    assert first.action == "429:1" and second.action == "serve"
    assert second.time - first.time >= 0.95  # the 0.01 s back-off alone would be far shorter


def test_503_retry_after_is_honoured(http_archive, server):
    server.inject(KEPLER_10_FILE, "503:1")
    assert http_archive.fetch_one(KEPLER_10).ok
    first, second = server.requests_for(KEPLER_10_FILE)
    assert second.time - first.time >= 0.95


def test_429_pauses_every_request_not_just_the_refused_one(server, cache_root):
    # One request at a time, so that no other request is already under way when the 429
    # arrives (those could not be recalled): then every later request must wait.
    # a generous read time-out: under load a spurious time-out would add a retried request
    archive = HttpArchive(server.url, Cache(cache_root),
                          dataclasses.replace(FAST, concurrency=1, read_timeout=10.0))
    first_file = "0033/003342467/kplr003342467-2009166043257_llc.fits"
    server.inject(first_file, "429:1")
    result = archive.fetch_one(3342467)
    assert result.ok and len(result.paths) == 17
    refused = server.requests_for(first_file)[0]
    # Which file's request goes first is up to the event loop: the files requested before
    # the 429 are served at once, every one after it (and the retry) waits.
    files = [r for r in server.requests if r.path.endswith(".fits")]
    assert len(files) == 18  # 17 files and the retry
    later = server.requests[server.requests.index(refused) + 1:]
    assert later and first_file in {r.path for r in later}
    # Without the shared pause the other files would follow within milliseconds.
    assert min(r.time for r in later) - refused.time >= 0.95


def test_retry_after_longer_than_the_cap_is_cut(server, cache_root):
    settings = dataclasses.replace(FAST, max_retry_after=0.2)
    archive = HttpArchive(server.url, Cache(cache_root), settings)
    server.inject(KEPLER_10_FILE, "429:30")
    started = time.monotonic()
    assert archive.fetch_one(KEPLER_10).ok
    assert time.monotonic() - started < 2.0


def test_persistent_failure_is_a_per_target_error_and_the_run_goes_on(http_archive, server,
                                                                       cache_root):
    server.inject(KEPLER_10_FILE, *["flip"] * FAST.max_attempts)
    results = {r.kepler_id: r for r in http_archive.iter_fetch([KEPLER_10, 9726699, 10001893])}
    failed = results[KEPLER_10]
    assert failed.error.startswith("KIC 11904151: 1 of 1 files could not be fetched")
    assert f"gave up after {FAST.max_attempts} attempts" in failed.error
    assert "CHECKSUM fails" in failed.error
    assert failed.paths == []
    assert results[9726699].ok and results[10001893].ok
    assert not (cache_root / KEPLER_10_FILE).exists()
    assert not (cache_root / KEPLER_10_FOLDER / ".lcfeat-manifest.json").exists()
    assert_cache_clean(cache_root)
    # Next run, the server behaves: the target completes.
    assert http_archive.fetch_one(KEPLER_10).ok


def test_a_permanent_http_error_is_not_retried(http_archive, server):
    server.inject(KEPLER_10_FILE, "403")
    result = http_archive.fetch_one(KEPLER_10)
    assert "HTTP 403" in result.error and "not retried" in result.error
    assert file_requests(server) == ["403"]


def test_partial_failure_keeps_good_files_but_fails_the_target(http_archive, server,
                                                                cache_root):
    bad = "0033/003342467/kplr003342467-2011073133259_llc.fits"
    server.inject(bad, *["500"] * FAST.max_attempts)
    result = http_archive.fetch_one(3342467)
    assert result.error.startswith("KIC 3342467: 1 of 17 files could not be fetched")
    assert len(result.paths) == 16 and 8 not in result.quarters
    assert_cache_clean(cache_root)
    # The 16 good files are kept: the retry downloads only the missing one.
    before = len(server.requests)
    assert http_archive.fetch_one(3342467).ok
    assert [r.path for r in server.requests[before:]] == ["0033/003342467/", bad]


# -- discovery and "not observed" -----------------------------------------------------------

def test_without_listings_the_19_known_names_are_tried_and_404_means_not_observed(
        server, cache_root):
    server.listings = False  # the folder answers 403, as a server without autoindex does
    archive = HttpArchive(server.url, Cache(cache_root), FAST)
    result = archive.fetch_one(3342467)
    assert result.ok and result.quarters == list(range(1, 18))
    file_gets = [r for r in server.requests if r.path.endswith(".fits")]
    assert len(file_gets) == 19  # Q0 and the other Q4 stamp answered 404: not an error
    assert_cache_clean(cache_root)


def test_folders_answering_404_fall_back_to_the_19_known_names(server, cache_root):
    """A mirror that cannot list folders and answers 404 for them (not 403): the known names
    are tried as for 403, and only a target whose every name answers 404 is not there."""
    server.listings, server.folder_status = False, 404
    archive = HttpArchive(server.url, Cache(cache_root), FAST)
    result = archive.fetch_one(3342467)
    assert result.ok and result.quarters == list(range(1, 18))
    assert archive.fetch_one(KEPLER_10).quarters == [13]
    unknown = archive.fetch_one(123)
    assert unknown.error.startswith("KIC 123: no long-cadence files in the archive")
    assert len([r for r in server.requests if "000000123" in r.path]) == 1 + 19
    # asked to trust listings only, a folder's 404 is the target's absence
    listing_only = HttpArchive(server.url, Cache(cache_root),
                               dataclasses.replace(FAST, discovery="listing"))
    assert "does not exist" in listing_only.fetch_one(9726699).error
    assert_cache_clean(cache_root)


def test_stamps_discovery_for_a_single_quarter_target(server, cache_root):
    archive = HttpArchive(server.url, Cache(cache_root),
                          dataclasses.replace(FAST, discovery="stamps"))
    result = archive.fetch_one(KEPLER_10)
    assert result.ok and result.quarters == [13]
    assert not any(r.path.endswith("/") for r in server.requests)
    unknown = archive.fetch_one(123)
    assert unknown.error.startswith("KIC 123: no long-cadence files in the archive")


def test_a_failing_listing_falls_back_to_the_known_names(http_archive, server):
    server.inject(KEPLER_10_FOLDER, *["500"] * FAST.max_attempts)
    result = http_archive.fetch_one(KEPLER_10)
    assert result.ok and result.quarters == [13]


def test_listing_only_mode_reports_a_failing_listing(server, cache_root):
    archive = HttpArchive(server.url, Cache(cache_root),
                          dataclasses.replace(FAST, discovery="listing"))
    server.inject(KEPLER_10_FOLDER, *["503"] * FAST.max_attempts)
    result = archive.fetch_one(KEPLER_10)
    assert "gave up after" in result.error and "HTTP 503" in result.error


def test_a_listed_file_answering_404_is_an_unobserved_quarter(http_archive, server):
    server.inject("0100/010002792/kplr010002792-2009259160929_llc.fits", "404")
    result = http_archive.fetch_one(10002792)
    assert result.ok and result.quarters == [5]


# -- a corrupt cache is quarantined and fetched again ---------------------------------------

@pytest.mark.parametrize("fixture", [
    TEST_DATA / "corrupted" / "test-tpf-kplr-tabby-corrupted.fits",
    TEST_DATA / "corrupted" / "test-tpf-kplr-tabby-corrupted-at-header.fits",
    TEST_DATA / "corrupted" / "test-tpf-kplr-tabby-corrupted-at-header2.fits",
    TEST_DATA / "corrupted" / "test-lc-tess-pimen-corrupted.fits",
    TEST_DATA / "kplr005110407-2009350155506_llc-kepcotrend.fits",
    ARCHIVE / "0097" / "009726699" / "kplr009726699-2009350155506_llc.fits",  # another star
], ids=lambda p: p.name)
@pytest.mark.parametrize("with_manifest", [False, True])
def test_a_corrupt_cached_file_is_quarantined_and_fetched_again(http_archive, server,
                                                                 cache_root, fixture,
                                                                 with_manifest):
    planted = cache_root / KEPLER_10_FILE
    planted.parent.mkdir(parents=True)
    shutil.copyfile(fixture, planted)
    if with_manifest:
        Cache(cache_root).write_manifest(Manifest(KEPLER_10, {planted.name: 472320}, "x"))
    result = http_archive.fetch_one(KEPLER_10)
    assert result.ok, result.error
    assert result.paths == [planted] and result.quarters == [13]
    assert len(result.problems) == 1 and "quarantined, fetched again" in result.problems[0]
    assert_cache_clean(cache_root)
    quarantined = list((cache_root / QUARANTINE_DIR).rglob("kplr011904151-*"))
    assert len(quarantined) == 1
    assert quarantined[0].read_bytes() == fixture.read_bytes()
    journal = (cache_root / QUARANTINE_DIR / QUARANTINE_LOG).read_text()
    assert str(planted) in journal


def test_a_manifest_file_that_went_missing_is_fetched_again(http_archive, server, cache_root):
    assert http_archive.fetch_one(10002792).ok
    (cache_root / "0100/010002792/kplr010002792-2010174085026_llc.fits").unlink()
    before = len(server.requests)
    result = http_archive.fetch_one(10002792)
    assert result.ok and result.quarters == [2, 5] and result.from_disk == 1
    assert len(server.requests) - before == 2  # the listing and the missing file


def test_a_target_listed_twice_is_fetched_safely(http_archive, server, cache_root):
    planted = cache_root / KEPLER_10_FILE
    planted.parent.mkdir(parents=True)
    shutil.copyfile(TEST_DATA / "corrupted" / "test-tpf-kplr-tabby-corrupted.fits", planted)
    results = list(http_archive.iter_fetch([KEPLER_10, KEPLER_10, KEPLER_10], concurrency=3))
    assert [r.ok for r in results] == [True, True, True]
    assert all(r.paths == [planted] for r in results)
    assert_cache_clean(cache_root)


# -- concurrency, streaming, shutdown -------------------------------------------------------

def test_requests_in_flight_never_exceed_the_bound(server, cache_root):
    server.latency = 0.02  # so that requests overlap
    archive = HttpArchive(server.url, Cache(cache_root), dataclasses.replace(FAST,
                                                                           concurrency=3))
    results = list(archive.iter_fetch(ALL_TARGETS, concurrency=3))
    assert all(r.ok for r in results)
    assert 2 <= server.max_active <= 3


def test_connections_are_reused(server, cache_root):
    archive = HttpArchive(server.url, Cache(cache_root), dataclasses.replace(FAST,
                                                                           concurrency=1))
    connections = []
    original = server._server.RequestHandlerClass.setup

    def count_setup(handler):
        connections.append(handler.client_address)
        original(handler)

    server._server.RequestHandlerClass.setup = count_setup
    assert archive.fetch_one(3342467).ok
    assert len(server.requests) == 18 and len(connections) == 1


def test_async_fetch_yields_every_result(http_archive):
    async def collect():
        return [r async for r in http_archive.fetch(ALL_TARGETS, concurrency=3)]

    results = asyncio.run(collect())
    assert sorted(r.kepler_id for r in results) == sorted(ALL_TARGETS)
    assert all(r.ok for r in results)


def test_fetch_one_works_inside_a_running_event_loop(http_archive):
    async def inside():
        return http_archive.fetch_one(KEPLER_10)

    assert asyncio.run(inside()).ok


def test_leaving_iter_fetch_early_stops_cleanly(server, cache_root):
    server.latency = 0.05
    archive = HttpArchive(server.url, Cache(cache_root), dataclasses.replace(FAST,
                                                                           concurrency=1))
    for result in archive.iter_fetch([9726699, *ALL_TARGETS * 4], concurrency=1):
        assert result.ok
        break
    closed = time.monotonic()
    assert not any(t.name == "lcfeat-fetch" for t in threading.enumerate())
    time.sleep(0.3)
    # Nothing keeps downloading in the background: no request arrives after the loop is left
    # (one already on the wire when it was left may still be answered and logged).
    assert [r for r in server.requests if r.time > closed] == []
    assert_cache_clean(cache_root)


def test_no_ids_no_results(http_archive, server):
    assert list(http_archive.iter_fetch([])) == []
    assert server.requests == []


def test_an_error_while_reading_ids_reaches_the_consumer(http_archive):
    def ids():
        yield KEPLER_10
        raise RuntimeError("target list unreadable")

    with pytest.raises(RuntimeError, match="target list unreadable"):
        list(http_archive.iter_fetch(ids(), concurrency=1))


def test_a_slow_consumer_holds_fetching_back(server, cache_root):
    archive = HttpArchive(server.url, Cache(cache_root), dataclasses.replace(FAST,
                                                                           concurrency=1))
    stream = archive.iter_fetch([9726699, 10001893, KEPLER_10, 3342467], concurrency=1,
                                buffer=1)
    next(stream)
    time.sleep(0.3)
    # One result taken, at most one waiting in the buffer and one in progress: KOI-3278's
    # 17 files must not have been requested yet.
    assert not any(r.path.startswith("0033/") for r in server.requests)
    rest = list(stream)
    assert len(rest) == 3 and all(r.ok for r in rest)


# -- pieces ---------------------------------------------------------------------------------

def test_parse_retry_after_forms():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_settings_are_validated():
    with pytest.raises(ValueError):
        ClientSettings(discovery="guess")
    with pytest.raises(ValueError):
        ClientSettings(concurrency=0)


def test_backoff_grows_exponentially_with_bounded_jitter(server, cache_root):
    settings = dataclasses.replace(FAST, backoff_base=1.0, backoff_max=8.0)
    archive = HttpArchive(server.url, Cache(cache_root), settings)
    session = type("S", (), {"rng": archive._rng})()
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [archive._backoff(session, attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # jitter actually spreads them


def test_fetch_file_repairs_one_file(http_archive, tmp_path):
    destination = tmp_path / "kplr011904151-2012179063303_llc.fits"
    verdict = http_archive.fetch_file(KEPLER_10, destination.name, destination)
    assert verdict.ok and verify_file(destination, KEPLER_10).ok
    missing = http_archive.fetch_file(KEPLER_10, "kplr011904151-2009131105131_llc.fits",
                                      tmp_path / "x")
    assert not missing.ok and "404" in missing.reason


def test_fetched_paths_feed_the_light_curve_reader(http_archive):
    from lcfeat.lightcurve import read_light_curve

    result = http_archive.fetch_one(10002792)
    light_curve = read_light_curve(result.paths)
    assert light_curve.kepler_id == 10002792
    assert light_curve.quarters == tuple(result.quarters) == (2, 5)
