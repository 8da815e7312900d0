"""The HTTP client tells an outage of the archive from a target's own problem, against the
real fault-injecting server on 127.0.0.1 (see tests/pipeline/test_archive_outage.py for
whole runs)."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from lcfeat.archive import Cache, HttpArchive
from lcfeat.errors import ArchiveUnavailableError
from tests.archive.conftest import FAST
from tests.archive.test_archive_http import assert_cache_clean

QUICK = dataclasses.replace(FAST, outage_probe_base=0.2, outage_probe_max=0.4)
SINGLE_FILE = {11904151: "0119/011904151/kplr011904151-2012179063303_llc.fits",
               10001893: "0100/010001893/kplr010001893-2011177032512_llc.fits",
               9726699: "0097/009726699/kplr009726699-2009350155506_llc.fits"}


def test_files_failing_while_listings_answer_is_an_outage_not_failed_targets(server,
                                                                           cache_root):
    """The tree's listings still answer but every file answers 503 (the file servers are
    down): the probe asks for a file the archive served, so the fetch waits instead of
    failing the targets, and completes when the files are served again."""
    archive = HttpArchive(server.url, Cache(cache_root), QUICK)
    events = []
    fetched = []

    def outage_after_the_first_target() -> None:
        while not fetched:
            time.sleep(0.01)
        server.go_down("503-files")
        time.sleep(1.5)
        server.come_back()

    flipper = threading.Thread(target=outage_after_the_first_target)
    flipper.start()
    for result in archive.iter_fetch(list(SINGLE_FILE), concurrency=1, outage_budget=60,
                                     on_outage=events.append):
        fetched.append(result)
    flipper.join()
    assert all(r.ok for r in fetched), [r.error for r in fetched]
    assert any(r.action == "down:503-files" for r in server.requests)
    assert [e.state for e in events] == ["down", "up"]
    assert events[0].message.startswith("archive unreachable since")
    assert_cache_clean(cache_root)


def test_without_an_outage_budget_every_failure_stays_the_targets(server, cache_root):
    archive = HttpArchive(server.url, Cache(cache_root), QUICK)
    server.go_down("503-files")
    failed = list(archive.iter_fetch(list(SINGLE_FILE), concurrency=3))
    assert all("HTTP 503" in r.error for r in failed)


def test_a_fetch_hands_over_what_it_finished_then_raises_when_the_budget_is_spent(
        server, cache_root):
    archive = HttpArchive(server.url, Cache(cache_root), QUICK)
    assert archive.fetch_one(11904151).ok  # cached: needs no request
    server.go_down("refuse")
    received = []
    started = time.monotonic()
    with pytest.raises(ArchiveUnavailableError) as info:
        for result in archive.iter_fetch([11904151, 10001893, 9726699], concurrency=1,
                                         outage_budget=1.5):
            received.append(result)
    assert 1.5 <= time.monotonic() - started < 15
    assert [r.kepler_id for r in received] == [11904151] and received[0].ok
    message = str(info.value)
    assert server.url in message and "unreachable since" in message
    assert "ConnectError" in message


def test_stopping_a_fetch_that_waits_out_an_outage_is_prompt(server, cache_root):
    archive = HttpArchive(server.url, Cache(cache_root), QUICK)
    server.go_down("503")
    stop = threading.Event()
    events = []
    threading.Timer(1.0, stop.set).start()
    started = time.monotonic()
    results = list(archive.iter_fetch([11904151], outage_budget=600, on_outage=events.append,
                                      stop=stop))
    assert results == []
    assert time.monotonic() - started < 5
    assert [e.state for e in events] == ["down"]
