"""Real signals to a real `lcfeat run` process: SIGTERM (what SLURM, Kubernetes and
`timeout` send on preemption) stops it as Ctrl-C does; SIGKILL leaves a run that
`lcfeat status` and `lcfeat provenance` show as abandoned, and no worker behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lcfeat.cli import main
from tests.conftest import ARCHIVE

TARGETS = "11904151,9726699,10001893,10002792,3342467"


class RunningCommand:
    """`lcfeat run` in its own process group, its output (log lines included) collected."""

    def __init__(self, db: Path, *options: str) -> None:
        command = [sys.executable, "-m", "lcfeat.cli", "run", "--archive", str(ARCHIVE),
                   "--db", f"sqlite:///{db}", "--targets", TARGETS, *options]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, condition, what: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"exited before {what}: {self.output}"
            assert time.monotonic() < deadline, f"no {what} in {timeout} s: {self.output}"
            time.sleep(0.1)

    def finish(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def done_lines(self) -> int:
        return sum(" done quarters=" in line for line in self.lines)

    def workers(self) -> list[int]:
        """Ids of the processes this run started (its worker processes among them)."""
        return _children(self.process.pid)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"  # a zombie has exited


def _query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def _committed(db: Path) -> int:
    """Feature rows committed so far; 0 before the run has made its tables."""
    try:
        return _query(db, "select count(*) from features")[0][0] if db.exists() else 0
    except sqlite3.OperationalError:  # the file exists, its tables not yet
        return 0


@pytest.mark.parametrize("to_group", [False, True], ids=["to the run", "to its group"])
def test_sigterm_commits_what_is_finished_marks_the_run_interrupted_and_resumes(tmp_path,
                                                                                to_group):
    """Kubernetes signals the main process, SLURM every process of the job: either way the
    finished targets of the open batch are committed (the batch holds all five here), the
    run is marked interrupted, the workers stop, the exit is clean, the rerun resumes."""
    db = tmp_path / "run.db"
    run = RunningCommand(db, "--workers", "2", "--batch-size", "50")
    run.wait_for(lambda: run.done_lines() >= 1 and len(run.workers()) >= 2, "finished target")
    workers = run.workers()
    finished = run.done_lines()
    assert _query(db, "select count(*) from features") == [(0,)]  # nothing committed yet
    if to_group:
        os.killpg(run.process.pid, signal.SIGTERM)
    else:
        run.process.send_signal(signal.SIGTERM)
    code = run.finish()
    output = run.output
    assert code == 130, output
    assert "Traceback" not in output and "BrokenPipeError" not in output
    assert "interrupted: finished targets are saved; run the same command again" in output
    kept = _query(db, "select count(*) from features")[0][0]
    assert kept >= finished  # the open batch was committed
    assert _query(db, "select status from runs") == [("interrupted",)]
    assert _query(db, "select count(*) from failures") == [(0,)]  # no worker "crashed"
    time.sleep(0.5)
    assert not [pid for pid in workers if _alive(pid)]

    assert main(["run", "--archive", str(ARCHIVE), "--db", f"sqlite:///{db}",
                 "--targets", TARGETS, "--workers", "2", "--quiet"]) == 0
    assert _query(db, "select count(*) from features") == [(5,)]
    assert _query(db, "select n_skipped from runs where status = 'complete'") == [(kept,)]


def test_sigkill_leaves_no_worker_and_the_run_is_shown_as_abandoned(tmp_path, capsys):
    db = tmp_path / "run.db"
    run = RunningCommand(db, "--workers", "2", "--batch-size", "1")
    run.wait_for(lambda: _committed(db) > 0, "committed target")
    workers = run.workers()
    assert workers
    run.process.kill()
    assert run.finish() == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while [pid for pid in workers if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived the killed run"
    assert "Traceback" not in run.output and "BrokenPipeError" not in run.output
    assert _query(db, "select status from runs") == [("running",)]  # as the kill left it

    assert main(["status", "--db", f"sqlite:///{db}"]) == 0
    out = capsys.readouterr().out
    assert f"abandoned: process {run.process.pid} on " in out
    assert main(["provenance", "--db", f"sqlite:///{db}"]) == 0
    assert "status: abandoned (process" in capsys.readouterr().out


def test_an_interruption_in_the_middle_of_a_batch_write_loses_no_finished_target(tmp_path):
    """Ctrl-C or SIGTERM landing while a batch is written (its transaction rolled back):
    the batch stays open and the final commit writes it, instead of dropping it."""
    from lcfeat.archive import open_archive
    from lcfeat.pipeline import RunSettings, run_pipeline
    from lcfeat.store import Store

    class InterruptedOnce(Store):
        interrupted = False

        def write_batch(self, *args, **kwargs):
            if not self.interrupted:
                self.interrupted = True
                raise KeyboardInterrupt  # the batch's transaction never committed
            return super().write_batch(*args, **kwargs)

    db = tmp_path / "x.db"
    store = InterruptedOnce(Store.connect(f"sqlite:///{db}").engine)
    store.prepare()
    store.engine.dispose()
    summary = run_pipeline(store, open_archive(str(ARCHIVE)), str(ARCHIVE),
                           [11904151, 10001893], RunSettings(workers=1, batch_size=1))
    assert summary.interrupted and summary.done == 1
    assert len(_query(db, "select target_id from features")) == 1  # the first batch
    assert _query(db, "select status, n_done from runs") == [("interrupted", 1)]
