"""The `lcfeat` command as a user meets it: extract, features, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json

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
    ],
)
def test_usage_errors_exit_2_before_any_work(argv, message, capsys, tmp_path):
    argv = [str(ARCHIVE) if a == "data/archive" else a for a in argv]
    if "--db" not in argv:
        argv += ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()  # nothing was started


def test_workers_must_be_positive(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--workers", "0"])
    assert info.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err
