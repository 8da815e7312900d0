"""Provenance: every run's record in the `runs` table, and `lcfeat provenance` printing it."""

from __future__ import annotations

import json
import platform
import re
import subprocess
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from lightkurve.utils import KeplerQualityFlags
from sqlalchemy import create_engine, inspect, text

import lcfeat.features.prepared as prepared
import lcfeat.lightcurve.robust as robust
from lcfeat.cli import main
from lcfeat.features.extract import FeatureRow
from lcfeat.features.registry import FEATURE_NAMES, registry_hash
from lcfeat.lightcurve import quality_bitmask
from lcfeat.store import BatchLog, Store
from lcfeat.store.provenance import RunRecord, save_run, settings_hash

REPO = Path(__file__).resolve().parents[2]


def _row(kepler_id: int) -> FeatureRow:
    return FeatureRow(kepler_id=kepler_id, values={name: 1.0 for name in FEATURE_NAMES},
                      n_points=10, duration_days=1.0, quarters=(1,))


def _run(store: Store, label: str, started: datetime, targets: list[int],
         failed: int = 0) -> RunRecord:
    """A run as the pipeline records it: a row when it starts, updated when it ends."""
    settings = {"quality": "default", "quality_bitmask": quality_bitmask("default"),
                "workers": 2, "batch_size": 50}
    record = RunRecord.start(label, settings, "data/archive", len(targets) + failed,
                             argv=["lcfeat", "run", "--archive", "data/archive",
                                   "--label", label])
    record.started_at = started
    save_run(store, record)
    store.write_batch([_row(k) for k in targets], [], record.run_id, "h",
                      BatchLog(1, started))
    record.n_done, record.n_failed = len(targets), failed
    record.finished_at = started + timedelta(seconds=4)
    record.targets_per_second = (len(targets) + failed) / 4
    record.status = "complete"
    save_run(store, record)
    return record


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def test_provenance_tells_how_the_table_was_made(db_url, capsys):
    store = Store.connect(db_url)
    store.prepare()
    started = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    record = _run(store, "validation", started, [11904151, 3342467], failed=1)
    store.close()

    assert main(["provenance", "--db", db_url]) == 0
    out = capsys.readouterr().out
    # what was run, when, on what, and how it went
    assert f"run {record.run_id}" in out and "label: validation" in out
    assert "status: complete" in out
    assert "2024-05-01 12:00:00 UTC  ->  2024-05-01 12:00:04 UTC  (4.0 s)" in out
    assert "lcfeat run --archive data/archive --label validation" in out
    assert "archive     data/archive" in out
    assert "3 requested: 2 done, 1 failed, 0 skipped" in out
    assert "0.75 targets/s" in out
    assert f"2 rows of the features table have run_id = '{record.run_id}'" in out
    # the settings, with the quality bitmask from lightkurve's flags plus rolling band
    expected_mask = KeplerQualityFlags.DEFAULT_BITMASK | KeplerQualityFlags.RollingBandInAperture
    assert f"quality_bitmask={expected_mask}" in out and "workers=2" in out
    # the software: versions read here independently of lcfeat's own record
    for package in ("numpy", "astropy", "numba"):
        assert f"{package} {version(package)}" in out
    assert f"Python {platform.python_version()}" in out
    assert f"version 1, feature registry hash {registry_hash()}" in out
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    if head:
        assert f"git commit {head}" in out and f"git checkout {head}" in out
    else:  # a source tree without git (an sdist): said so, not guessed
        assert "not from a git checkout" in out
    # the constants that shape the values, e.g. the segment gap of the light-curve tools
    assert f"SEGMENT_GAP_DAYS={robust.SEGMENT_GAP_DAYS}" in out

    # each feature row points to its run, and the runs row holds the record as data
    engine = _engine(db_url)
    with engine.connect() as conn:
        assert set(conn.execute(text("SELECT run_id FROM features")).scalars()) == {
            record.run_id}
        stored = conn.execute(text("SELECT * FROM runs")).mappings().one()
    engine.dispose()
    assert json.loads(stored["settings"])["workers"] == 2
    assert json.loads(stored["environment"])["numpy"] == version("numpy")
    assert stored["schema_version"] == 1 and stored["n_done"] == 2 and stored["n_failed"] == 1


def test_provenance_picks_a_run_by_id_prefix_or_lists_all(db_url, capsys):
    store = Store.connect(db_url)
    store.prepare()
    first = _run(store, "first", datetime(2024, 1, 1, tzinfo=UTC), [1])
    second = _run(store, "second", datetime(2024, 2, 1, tzinfo=UTC), [2, 3])
    store.close()

    assert main(["provenance", "--db", db_url]) == 0  # default: the latest
    out = capsys.readouterr().out
    assert second.run_id in out and first.run_id not in out
    assert main(["provenance", first.run_id[:5], "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "label: first" in out and second.run_id not in out
    assert "1 rows of the features table" in out
    assert main(["provenance", "--all", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^run (\w+)", out, flags=re.M) == [second.run_id, first.run_id]
    assert main(["provenance", "zzz", "--db", db_url]) == 2
    assert "no run 'zzz'" in capsys.readouterr().err


def test_provenance_of_a_database_without_runs_changes_nothing(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["provenance", "--db", url]) == 2
    assert "no runs recorded" in capsys.readouterr().err
    assert inspect(create_engine(url)).get_table_names() == []


def test_settings_hash_follows_what_changes_values():
    a = settings_hash({"quality_bitmask": 1, "period_max": 100.0})
    assert a == settings_hash({"period_max": 100.0, "quality_bitmask": 1})  # order-free
    assert a != settings_hash({"quality_bitmask": 2, "period_max": 100.0})
    assert re.fullmatch(r"[0-9a-f]{16}", a)


def test_run_record_keeps_the_feature_constants_as_json():
    record = RunRecord.start(None, {"workers": 1}, "mast", 0, argv=["lcfeat"])
    constants = record.settings["constants"]
    assert constants["lightcurve.robust"]["SEGMENT_GAP_DAYS"] == robust.SEGMENT_GAP_DAYS
    assert constants["features.prepared"]["COSMIC_RAY_SIGMA"] == prepared.COSMIC_RAY_SIGMA
    row = record.as_row()
    assert json.loads(row["settings"])["constants"] == constants


def test_no_credential_is_stored_or_printed(postgres_url, tmp_path, capsys, caplog):
    """A password in --db, a mirror's user and password in --archive: neither reaches the
    runs table, `lcfeat provenance`, the summary or the log (trust authentication ignores
    the password, so the run really connects with it)."""
    import logging

    from sqlalchemy.engine import make_url

    from tests.archive.archive_fault_server import FaultServer
    from tests.conftest import ARCHIVE

    secret_db = make_url(postgres_url).set(password="Db-SECRET-1").render_as_string(
        hide_password=False)
    with FaultServer(ARCHIVE) as server, caplog.at_level(logging.DEBUG):
        mirror = server.url.replace("http://", "http://reader:Mirror-SECRET-2@")
        code = main(["run", "--archive", mirror, "--cache", str(tmp_path / "cache"),
                     "--db", secret_db, "--targets", "11904151,123", "--workers", "1"])
        assert code == 1  # KIC 123 does not exist
        assert main(["provenance", "--db", secret_db]) == 0
        assert main(["status", "--db", secret_db]) == 0
    printed = capsys.readouterr()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    engine = _engine(postgres_url)
    with engine.connect() as conn:
        stored = " ".join(str(v) for v in conn.execute(text("SELECT * FROM runs")).one())
        failures = " ".join(conn.execute(text("SELECT message FROM failures")).scalars())
    engine.dispose()
    for where in (printed.out, printed.err, logged, stored, failures):
        assert "SECRET" not in where
    assert "postgres:***@127.0.0.1" in stored
    assert "reader:***@127.0.0.1" in stored and "command     lcfeat run --archive" in printed.out


def test_a_running_run_whose_process_is_gone_is_shown_as_abandoned(tmp_path, capsys):
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    store = Store.connect(url)
    store.prepare()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    killed = RunRecord.start("killed", {}, "data/archive", 5, argv=["lcfeat", "run"])
    killed.environment["pid"] = finished.stdout.strip()  # that process no longer exists
    save_run(store, killed)
    alive = RunRecord.start("alive", {}, "data/archive", 5, argv=["lcfeat", "run"])
    assert alive.environment["pid"] == str(os.getpid())
    save_run(store, alive)
    store.close()

    assert main(["status", "--db", url]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"run {killed.run_id} .*abandoned: process \d+ on \S+ is gone; run the "
                     "same command again to resume", out), out
    assert re.search(rf"run {alive.run_id} .*running: process {os.getpid()} on ", out), out
    assert main(["provenance", killed.run_id, "--db", url]) == 0
    assert "status: abandoned (process" in capsys.readouterr().out
    assert main(["provenance", alive.run_id, "--db", url]) == 0
    assert "status: running" in capsys.readouterr().out
