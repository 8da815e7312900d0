"""The `lcfeat` command as a user meets it: extract, features, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from astropy.io import fits

from lcfeat.cli import main
from lcfeat.features.registry import FEATURE_NAMES
from tests.conftest import ARCHIVE, TEST_DATA, quarter_files


def test_extract_json_has_every_feature_with_null_for_null(capsys):
    assert main(["extract", *map(str, quarter_files(11904151))]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(FEATURE_NAMES) <= set(record)
    assert record["target_id"] == "KIC 11904151"
    with fits.open(quarter_files(11904151)[0], memmap=False) as hdul:
        assert record["n_points"] <= len(hdul[1].data)
    assert 0.83 < record["transit_bls_period"] < 0.84  # Kepler-10 b


def test_extract_csv_is_one_header_and_one_row(capsys):
    assert main(["extract", "--format", "csv", *map(str, quarter_files(9726699))]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 1 and set(FEATURE_NAMES) <= set(rows[0])
    assert float(rows[0]["stat_median"]) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_features_lists_the_registry(fmt, capsys):
    assert main(["features", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in FEATURE_NAMES)


def test_bad_file_is_one_line_and_exit_1(capsys):
    assert main(["extract", str(TEST_DATA / "ktwo211121743-c04_llc.fits")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "lcfeat: error: ktwo211121743-c04_llc.fits: mission is 'K2', not Kepler"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--targets", "123,abc", "--archive", "data/archive"], "'abc' is not a KIC id"),
        (["run", "--targets", "123", "--archive", "/no/such/folder"], "neither 'mast'"),
        (["status", "--db", "postgresql://postgres@127.0.0.1:1/x"], "cannot connect"),
        (["run", "--archive", "data/archive", "--quality", "strict"], "unknown quality"),
        (["run", "--archive", "data/archive", "--db", "mysql://u:SECRET@db.example.org/f"],
         "lcfeat writes to SQLite or PostgreSQL"),
        (["status", "--db", "mysql://u:SECRET@db.example.org/f"],
         "lcfeat writes to SQLite or PostgreSQL"),
        (["analyze", "--db", "mysql://u:SECRET@db.example.org/f"],
         "lcfeat writes to SQLite or PostgreSQL"),
        (["run", "--targets", "３３４２４６７", "--archive", "data/archive"],
         "is not a file, a preset"),
        (["run", "--archive", "http://127.0.0.1:9/", "--cache", "A_FILE", "--targets", "5"],
         "is a file, not a folder"),
        (["fetch", "5", "--archive", "http://127.0.0.1:9/", "--cache", "A_FILE"],
         "is a file, not a folder"),
        (["run", "--archive", "data/archive", "--log-file", "A_FILE/run.log"],
         "--log-file"),
    ],
)
def test_usage_errors_exit_2_before_any_work(argv, message, capsys, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    argv = [str(ARCHIVE) if a == "data/archive" else a for a in argv]
    argv = [a.replace("A_FILE", str(tmp_path / "a-file")) for a in argv]
    if argv[0] == "run" and "--db" not in argv:
        argv += ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err and "SECRET" not in err
    assert not (tmp_path / "x.db").exists()  # nothing was started


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e12", "0", "-5", "１０", "ten"])
@pytest.mark.parametrize("flag", ["--target-timeout", "--archive-outage-budget"])
def test_seconds_are_checked_before_any_work(flag, value, capsys, tmp_path):
    """inf and 1e12 used to pass and crash the run after its record was saved."""
    with pytest.raises(SystemExit) as info:
        main(["run", "--archive", str(ARCHIVE), "--db", f"sqlite:///{tmp_path / 'x.db'}",
              flag, value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and "Traceback" not in err
    assert not (tmp_path / "x.db").exists()


def test_a_log_file_in_a_folder_that_does_not_exist_is_created(tmp_path, capsys):
    log_file = tmp_path / "logs" / "today" / "run.log"
    assert main(["run", "--archive", str(ARCHIVE), "--targets", "11904151", "--quiet",
                 "--db", f"sqlite:///{tmp_path / 'x.db'}", "--log-file", str(log_file),
                 "--workers", "1"]) == 0
    assert "KIC 11904151 done" in log_file.read_text()


def test_a_malformed_target_file_is_one_line_and_exit_2(tmp_path, capsys):
    targets = tmp_path / "targets.csv"
    targets.write_bytes(b"target_id\n3342467\n" + b"7" * 1_000_000 + b"\n")
    assert main(["run", "--archive", str(ARCHIVE), "--targets", str(targets),
                 "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lcfeat: error: {targets}, line 3: ")
    assert err.count("\n") == 1 and len(err) < 400


def test_a_read_only_database_is_exit_2_with_one_line(tmp_path, capsys):
    db = tmp_path / "x.db"
    assert main(["run", "--archive", str(ARCHIVE), "--targets", "11904151", "--quiet",
                 "--db", f"sqlite:///{db}", "--workers", "1"]) == 0
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    capsys.readouterr()
    assert main(["run", "--archive", str(ARCHIVE), "--targets", "11904151", "--force",
                 "--db", read_only]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and err.count("\n") == 1
    assert main(["status", "--db", read_only]) == 0  # reading it still works
    assert "done     1" in capsys.readouterr().out


def test_extract_of_a_quarter_saved_twice_gives_the_features_once(tmp_path, capsys):
    """The same Q13 under two names made `lcfeat extract` print a ZeroDivisionError
    traceback; now the cadences count once and the features are those of one file."""
    (original,) = quarter_files(11904151)
    twin = tmp_path / original.name.replace("2012179063303", "2012179063304")
    shutil.copy(original, twin)
    assert main(["extract", str(original)]) == 0
    once = json.loads(capsys.readouterr().out)
    assert main(["extract", str(original), str(twin)]) == 0
    captured = capsys.readouterr()
    twice = json.loads(captured.out)
    assert "Traceback" not in captured.err
    once.pop("extraction_time_seconds"), twice.pop("extraction_time_seconds")
    assert twice == once


def test_the_summary_names_each_failed_target_once(tmp_path, capsys):
    assert main(["run", "--archive", str(ARCHIVE), "--targets", "11904151,7777777",
                 "--db", f"sqlite:///{tmp_path / 'x.db'}", "--workers", "1", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "    KIC 7777777: no long-cadence files in the archive" in out
    assert "KIC 7777777: KIC 7777777" not in out


def test_an_unexpected_error_is_one_line_and_the_traceback_is_behind_debug(monkeypatch,
                                                                            capsys):
    from lcfeat.cli import features

    def broken(args):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(features, "cmd_features", broken)
    assert main(["features"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lcfeat: error: unexpected ZeroDivisionError: float division by "
                          "zero (at test_cli.py:")
    assert err.count("\n") == 1 and "--debug shows the traceback" in err
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "features"])


def test_analyze_prints_no_library_warning(tmp_path):
    """numpy's "Degrees of freedom <= 0" RuntimeWarning reached the user on few stars."""
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["run", "--targets", "bundled-5", "--archive", str(ARCHIVE), "--db", db,
                 "--quiet"]) == 0
    done = subprocess.run([sys.executable, "-m", "lcfeat.cli", "analyze", "--db", db, "-o",
                           str(tmp_path / "report")], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_workers_must_be_positive(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--workers", "0"])
    assert info.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err
