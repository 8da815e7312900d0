"""The Dask path on a real LocalCluster, and Ctrl-C on a real `lcfeat run` process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from lcfeat.archive import open_archive
from lcfeat.features.registry import FEATURE_NAMES
from lcfeat.pipeline import RunSettings, run_pipeline
from lcfeat.pipeline.executors import DaskExecutor
from lcfeat.store import Store
from tests.conftest import ARCHIVE

SMALL = [11904151, 9726699]


def _values(db_path) -> dict[str, tuple]:
    with sqlite3.connect(db_path) as conn:
        columns = ", ".join(FEATURE_NAMES)
        return {r[0]: r[1:] for r in conn.execute(f"select target_id, {columns} from features")}


def _run(db_path, executor=None, settings=None):
    store = Store.connect(f"sqlite:///{db_path}")
    store.prepare()
    summary = run_pipeline(store, open_archive(str(ARCHIVE), None), str(ARCHIVE), SMALL,
                           settings or RunSettings(workers=2), executor=executor)
    store.close()
    return summary


def test_dask_local_cluster_gives_the_same_rows_as_local_workers(tmp_path):
    local = _run(tmp_path / "local.db")
    dask = _run(tmp_path / "dask.db", executor=DaskExecutor(None, workers=2),
                settings=RunSettings(workers=2, executor="dask"))
    assert local.done == dask.done == 2
    assert _values(tmp_path / "local.db") == _values(tmp_path / "dask.db")  # bit for bit


def test_ctrl_c_stops_cleanly_keeps_work_and_says_how_to_resume(tmp_path):
    db = tmp_path / "x.db"
    command = [sys.executable, "-m", "lcfeat.cli", "run", "--archive", str(ARCHIVE),
               "--db", f"sqlite:///{db}", "--workers", "1", "--batch-size", "1",
               "--targets", "11904151,9726699,10001893,10002792,3342467"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and done < 1:
        time.sleep(0.5)
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    done = conn.execute("select count(*) from features").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
    assert done >= 1, "the run never finished a target"
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output
    assert "run the same command again to resume" in output
    with sqlite3.connect(db) as conn:
        kept = conn.execute("select count(*) from features").fetchone()[0]
        status = conn.execute("select status from runs").fetchone()[0]
    assert kept >= done
    assert status == "interrupted"
    assert "Traceback" not in output
