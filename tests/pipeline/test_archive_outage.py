"""An outage of the archive pauses a run instead of failing its targets: the real
fault-injecting HTTP server on 127.0.0.1 goes down in the middle of a run and comes back, or
stays down; a host name that does not resolve stops the run before it starts."""

from __future__ import annotations

import dataclasses
import logging
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from lcfeat.archive import Cache, HttpArchive
from lcfeat.cli import main
from lcfeat.pipeline import RunSettings, run_pipeline
from lcfeat.store import Store
from tests.archive.archive_fault_server import FaultServer
from tests.archive.conftest import FAST
from tests.conftest import ARCHIVE

#: Four bundled stars of one or two quarters each (five files): quick to extract.
TARGETS = [11904151, 10001893, 10002792, 9726699]
#: The client of the tests: retries and probes shrunk to a fraction of a second.
QUICK = dataclasses.replace(FAST, outage_probe_base=0.2, outage_probe_max=0.5)


def _file_requests(server: FaultServer) -> int:
    return sum(r.path.endswith(".fits") and r.action == "serve" for r in server.requests)


def _outage_after(server: FaultServer, files: int, mode: str,
                  back_after: float | None) -> tuple[threading.Thread, dict[str, float]]:
    """Take the server down once `files` files were served; back `back_after` s later."""
    moments: dict[str, float] = {}

    def flip() -> None:
        deadline = time.monotonic() + 120
        while _file_requests(server) < files and time.monotonic() < deadline:
            time.sleep(0.005)
        server.go_down(mode)
        moments["down"] = time.monotonic()
        if back_after is not None:
            time.sleep(back_after)
            server.come_back()
            moments["up"] = time.monotonic()

    thread = threading.Thread(target=flip, daemon=True)
    thread.start()
    return thread, moments


def _table(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_the_archive_goes_down_mid_run_and_comes_back_no_target_fails(tmp_path, caplog, mode):
    db = tmp_path / "run.db"
    store = Store.connect(f"sqlite:///{db}")
    store.prepare()
    notes: list[str] = []
    with FaultServer(ARCHIVE, latency=0.02) as server:
        flipper, moments = _outage_after(server, files=2, mode=mode, back_after=2.0)
        archive = HttpArchive(server.url, Cache(tmp_path / "cache"), QUICK)
        with caplog.at_level(logging.WARNING, logger="lcfeat.pipeline.run"):
            summary = run_pipeline(
                store, archive, server.url, TARGETS,
                RunSettings(workers=1, io_concurrency=1, archive_outage_budget=60),
                progress=lambda outcome, summary: notes.append(summary.archive_note))
        flipper.join()
        during = [r for r in server.requests if r.action.startswith("down")]
    store.close()
    # the outage lasted many times the client's whole retry budget (well under 1 s) ...
    assert moments["up"] - moments["down"] >= 2.0 and during
    # ... yet it failed nothing: the run paused, then finished every target
    assert summary.done == len(TARGETS) and summary.failed == 0, summary.failed_targets
    assert summary.stopped is None and not summary.archive_note
    assert _table(db, "select count(*) from failures") == [(0,)]
    assert _table(db, "select status from runs") == [("complete",)]
    # the progress bar and the log said so while it lasted
    paused = [note for note in notes if note]
    assert paused and re.fullmatch(r"archive unreachable since \d\d:\d\d, retrying",
                                   paused[0]), notes
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("archive unreachable since") and "retrying" in m
               for m in messages), messages
    assert any("archive reachable again" in m for m in messages), messages


def test_the_archive_stays_down_the_run_stops_with_exit_3_and_the_rerun_finishes(tmp_path,
                                                                                capsys):
    db = tmp_path / "run.db"
    budget = 4.0
    with FaultServer(ARCHIVE, latency=0.05) as server:
        command = ["run", "--archive", server.url, "--cache", str(tmp_path / "cache"),
                   "--db", f"sqlite:///{db}", "--targets", ",".join(map(str, TARGETS)),
                   "--workers", "1", "--io-concurrency", "1", "--quiet",
                   "--archive-outage-budget", f"{budget:g}"]
        flipper, moments = _outage_after(server, files=2, mode="refuse", back_after=None)
        code = main(command)
        stopped = time.monotonic()
        flipper.join()
        err = capsys.readouterr().err
        assert code == 3, err
        # it waited the budget out, and not much longer
        assert budget <= stopped - moments["down"] < budget + 30
        stop_lines = [line for line in err.splitlines() if line.startswith("lcfeat: stopped:")]
        assert len(stop_lines) == 1 and server.url in stop_lines[0], err
        assert "run the same command again to resume" in stop_lines[0]
        assert "Traceback" not in err
        # no target was marked failed for the outage: what was not done is pending
        assert _table(db, "select count(*) from failures") == [(0,)]
        done = _table(db, "select count(*) from features")[0][0]
        pending = _table(db, "select count(*) from targets where not features_extracted")
        assert pending == [(len(TARGETS) - done,)] and done < len(TARGETS)
        assert _table(db, "select status from runs") == [("stopped",)]

        server.come_back()
        assert main(command) == 0, capsys.readouterr().err
    assert _table(db, "select count(*) from features") == [(len(TARGETS),)]
    assert _table(db, "select count(*) from failures") == [(0,)]


def test_a_host_name_that_does_not_resolve_stops_the_run_before_it_starts(tmp_path, capsys):
    db = tmp_path / "x.db"
    started = time.monotonic()
    code = main(["run", "--archive", "https://lcfeat-archive.invalid/kepler/",
                 "--cache", str(tmp_path / "cache"), "--db", f"sqlite:///{db}",
                 "--targets", "11904151,3342467"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert time.monotonic() - started < 20
    assert err.count("\n") == 1 and "https://lcfeat-archive.invalid/kepler/" in err
    assert "lcfeat-archive.invalid does not resolve" in err
    assert not db.exists()  # nothing was started


def test_one_broken_file_is_its_targets_failure_not_an_outage(tmp_path):
    """The server answers, only one file keeps failing with 500: the archive is up, so the
    target fails (as before) and the run neither pauses nor stops."""
    db = tmp_path / "x.db"
    store = Store.connect(f"sqlite:///{db}")
    store.prepare()
    with FaultServer(ARCHIVE) as server:
        broken = "0119/011904151/kplr011904151-2012179063303_llc.fits"
        server.inject(broken, *["500"] * 50)
        archive = HttpArchive(server.url, Cache(tmp_path / "cache"), QUICK)
        summary = run_pipeline(store, archive, server.url, [11904151, 10001893, 9726699],
                               RunSettings(workers=1, archive_outage_budget=60))
    store.close()
    assert summary.stopped is None
    assert summary.done == 2
    assert [target for target, _ in summary.failed_targets] == ["KIC 11904151"]
    assert "HTTP 500" in summary.failed_targets[0][1]
