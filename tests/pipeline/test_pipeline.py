"""`lcfeat run` end to end on the bundled archive: isolation, resume, failures as data."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from lcfeat.archive import open_archive
from lcfeat.cli import main
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES
from lcfeat.pipeline import RunSettings, run_pipeline
from lcfeat.pipeline.executors import LocalExecutor
from lcfeat.store import Store
from tests.conftest import ARCHIVE, TEST_DATA
from tests.pipeline import workers

BUNDLED = [3342467, 9726699, 10001893, 10002792, 11904151]


def _rows(db: Path) -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {r["target_id"]: dict(r) for r in conn.execute("select * from features")}


def _failures(db: Path) -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {r["target_id"]: dict(r) for r in conn.execute("select * from failures")}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """One CLI run over every bundled target into a fresh SQLite file (shared by tests)."""
    db = tmp_path_factory.mktemp("run") / "lcfeat.db"
    code = main(["run", "--archive", str(ARCHIVE), "--db", f"sqlite:///{db}", "--workers", "2",
                 "--batch-size", "2", "--quiet"])
    return code, db


def test_cli_run_fills_one_row_per_target_with_all_columns(full_run):
    code, db = full_run
    assert code == 0
    rows = _rows(db)
    assert sorted(rows) == sorted(f"KIC {k}" for k in BUNDLED)
    for row in rows.values():
        assert all(name in row for name in FEATURE_NAMES)
        # each quarter is divided by its median; variability moves the mean, not the median
        assert abs(row["stat_median"] - 1.0) < 1e-3
        assert abs(row["stat_mean"] - 1.0) < 5e-3
        assert row["n_features_total"] == 63
        assert row["n_features_valid"] >= 60
        reasons = json.loads(row["null_reasons"] or "{}")
        nulls = {name for name in (*FEATURE_NAMES, *EXTRA_NAMES) if row[name] is None}
        assert nulls == set(reasons), "every NULL, feature or extra, has a reason"
    with sqlite3.connect(db) as conn:
        batches = conn.execute("select count(*) from processing_log").fetchone()[0]
        runs = conn.execute("select status, n_done, n_failed from runs").fetchall()
    assert batches == 3  # 5 targets in batches of 2
    assert runs == [("complete", 5, 0)]


def test_second_run_resumes_without_recomputing(full_run, capsys):
    code, db = full_run
    before = {k: r["updated_at"] for k, r in _rows(db).items()}
    assert main(["run", "--archive", str(ARCHIVE), "--db", f"sqlite:///{db}", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "skipped   5" in out
    assert {k: r["updated_at"] for k, r in _rows(db).items()} == before


def test_status_reports_counts_and_fill_rate(full_run, capsys):
    _, db = full_run
    assert main(["status", "--db", f"sqlite:///{db}"]) == 0
    out = capsys.readouterr().out
    assert "done     5" in out and "failed   0" in out and "pending  0" in out
    assert "centroid" in out


def _archive_with_bad_targets(tmp_path: Path) -> Path:
    """The bundled archive plus a target with a corrupt file and one with a TESS file."""
    root = tmp_path / "archive"
    shutil.copytree(ARCHIVE, root)
    bad = root / "0012" / "001234567"
    bad.mkdir(parents=True)
    (bad / "kplr001234567-2009350155506_llc.fits").write_bytes(b"\0" * 5000)
    tess = root / "0026" / "002611366"
    tess.mkdir(parents=True)
    shutil.copy(TEST_DATA / "test-lc-tess-pimen-100-cadences.fits",
                tess / "kplr002611366-2009350155506_llc.fits")
    return root


def test_killed_workers_and_bad_files_fail_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("LCFEAT_TEST_MARKERS", str(tmp_path))
    root = _archive_with_bad_targets(tmp_path)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store.connect(db)
    store.prepare()
    ids = [11904151, 9726699, 10001893, 1234567, 2611366, 7777777]
    summary = run_pipeline(
        store, open_archive(str(root), None), str(root), ids,
        RunSettings(workers=2, batch_size=3),
        executor=LocalExecutor(2, target_timeout=300, work=workers.misbehaving_work),
    )
    rows = _rows(tmp_path / "x.db")
    failures = _failures(tmp_path / "x.db")
    # the worker killed on every attempt fails alone, after one retry in a fresh process
    assert failures["KIC 10001893"]["error_type"] == "WorkerCrash"
    assert "SIGKILL" in failures["KIC 10001893"]["message"]
    assert failures["KIC 10001893"]["attempts"] == 2
    # a segfault on the first attempt is retried in a fresh process and succeeds
    assert "KIC 9726699" in rows
    # bad input is a failure with its reason, never a crash
    assert failures["KIC 1234567"]["stage"] == "fetch"  # verification rejects the file
    assert "kplr001234567-2009350155506_llc.fits" in failures["KIC 1234567"]["message"]
    assert "TESS" in failures["KIC 2611366"]["message"]
    assert failures["KIC 7777777"]["stage"] == "fetch"
    assert set(rows) == {"KIC 11904151", "KIC 9726699"}
    assert summary.done == 2 and summary.failed == 4
    # --retry-failed reruns only the failed ones (now with the normal work function)
    again = run_pipeline(store, open_archive(str(root), None), str(root), ids,
                         RunSettings(workers=2, retry_failed=True))
    assert again.skipped == 2
    assert "KIC 10001893" in _rows(tmp_path / "x.db")


def test_a_target_past_the_time_out_fails_alone(tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    store = Store.connect(db)
    store.prepare()
    # Kepler-10 (one quarter) takes well under the time-out even on a loaded machine
    summary = run_pipeline(
        store, open_archive(str(ARCHIVE), None), str(ARCHIVE), [10002792, 11904151],
        RunSettings(workers=2),
        executor=LocalExecutor(2, target_timeout=5, work=workers.misbehaving_work),
    )
    failures = _failures(tmp_path / "x.db")
    assert failures["KIC 10002792"]["error_type"] == "Timeout"
    assert failures["KIC 10002792"]["attempts"] == 2
    assert "timed out after 5 s" in failures["KIC 10002792"]["message"]
    assert set(_rows(tmp_path / "x.db")) == {"KIC 11904151"}
    assert summary.done == 1 and summary.failed == 1


def test_targets_get_kic_stellar_parameters_from_the_headers(full_run):
    from astropy.io import fits

    _, db = full_run
    with fits.open(ARCHIVE / "0033" / "003342467" /
                   "kplr003342467-2009166043257_llc.fits", memmap=False) as hdul:
        header = hdul[0].header
    with sqlite3.connect(db) as conn:
        teff, rad, logg, kepmag, done = conn.execute(
            "select st_teff, st_rad, st_logg, st_kepmag, features_extracted from targets "
            "where target_id = 'KIC 3342467'").fetchone()
    assert (teff, rad, logg, kepmag) == (header["TEFF"], header["RADIUS"], header["LOGG"],
                                         header["KEPMAG"])
    assert done == 1


def test_same_output_bit_for_bit_in_process_and_in_workers(full_run):
    """Features computed here, in one process, equal those the 2-worker run stored."""
    from lcfeat.features.extract import extract_features
    from lcfeat.lightcurve import read_light_curve
    from tests.conftest import quarter_files

    _, db = full_run
    stored = _rows(db)
    for kepler_id in (11904151, 10002792):
        first = extract_features(read_light_curve(quarter_files(kepler_id)))
        second = extract_features(read_light_curve(quarter_files(kepler_id)))
        assert first.values == second.values
        row = stored[f"KIC {kepler_id}"]
        assert {name: row[name] for name in FEATURE_NAMES} == first.values


@pytest.mark.parametrize(("name", "value"), [
    ("target_timeout", float("inf")), ("target_timeout", 1e12), ("target_timeout", 0),
    ("archive_outage_budget", float("nan")), ("archive_outage_budget", -1.0),
    ("workers", 0), ("batch_size", True), ("io_concurrency", 2.5),
])
def test_run_settings_are_checked_when_made_before_any_work(name, value):
    """The library's own check (the command line checks the same flags earlier)."""
    from lcfeat.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=name):
        RunSettings(**{name: value})
