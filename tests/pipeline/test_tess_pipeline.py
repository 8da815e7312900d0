"""`lcfeat run --mission tess` and `lcfeat extract` on the bundled real TESS light curves:
the 63 columns of every star with a PDCSAP flux, one table for both missions, and clear
per-target errors for the products without PDCSAP_FLUX."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from lcfeat.archive import tess_layout
from lcfeat.cli import main
from lcfeat.features.registry import FEATURE_NAMES
from tests.archive.archive_fault_server import FaultServer
from tests.archive.test_archive_tess import mast_tree
from tests.conftest import (
    L_98_59,
    PI_MEN,
    TESS_ARCHIVE,
    TESS_STARS,
    TESS_TEST_DATA,
    WASP_126,
    quarter_files,
    sector_files,
)

PLANETS = {PI_MEN: 6.2679, WASP_126: 3.28880, L_98_59: 3.6904}
TASOC = next(TESS_TEST_DATA.glob("hlsp_tasoc_*.fits"))
ELEANOR = next(TESS_TEST_DATA.glob("hlsp_gsfc-eleanor-lite_*.fits"))


def _table(db: Path, name: str) -> dict[str, dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {r["target_id"]: dict(r) for r in conn.execute(f"select * from {name}")}


@pytest.fixture(scope="module")
def tess_run(tmp_path_factory):
    db = tmp_path_factory.mktemp("tess") / "lcfeat.db"
    code = main(["run", "--mission", "tess", "--archive", str(TESS_ARCHIVE),
                 "--db", f"sqlite:///{db}", "--workers", "2", "--quiet"])
    return code, db


def test_every_tess_star_fills_the_63_columns(tess_run):
    code, db = tess_run
    assert code == 0
    rows = _table(db, "features")
    assert sorted(rows) == sorted(f"TIC {tic}" for tic in TESS_STARS)
    for row in rows.values():
        assert row["mission"] == "tess"
        nulls = {name for name in FEATURE_NAMES if row[name] is None}
        assert nulls == set(json.loads(row["null_reasons"] or "{}")), "every NULL has a reason"
        assert row["n_features_valid"] == 63 - len(nulls) and not nulls
        assert abs(row["stat_median"] - 1.0) < 1e-3
        assert 0.0013 < row["temp_cadence_median"] < 0.0014  # 2 minutes
    for tic, period in PLANETS.items():
        assert rows[f"TIC {tic}"]["transit_bls_period"] == pytest.approx(period, rel=1e-3)
    assert rows[f"TIC {L_98_59}"]["quarters"] == "2"
    targets = _table(db, "targets")
    assert {row["mission"] for row in targets.values()} == {"tess"}
    assert targets[f"TIC {PI_MEN}"]["st_teff"] == pytest.approx(5992.1, rel=1e-6)
    assert all(row["features_extracted"] for row in targets.values())


def test_one_table_for_both_missions(tess_run, capsys):
    _, db = tess_run
    assert main(["run", "--archive", str(quarter_files(11904151)[0].parents[2]),
                 "--targets", "11904151", "--db", f"sqlite:///{db}", "--quiet"]) == 0
    rows = _table(db, "features")
    assert rows["KIC 11904151"]["mission"] == "kepler"
    assert {row["mission"] for key, row in rows.items() if key.startswith("TIC")} == {"tess"}
    capsys.readouterr()
    assert main(["status", "--db", f"sqlite:///{db}"]) == 0
    assert "done     6" in capsys.readouterr().out
    from lcfeat.store.frame import read_features

    frame = read_features(f"sqlite:///{db}")
    assert "KIC 11904151" in frame.index and f"TIC {PI_MEN}" in frame.index
    assert set(frame["mission"]) == {"kepler", "tess"}


def test_second_tess_run_resumes(tess_run, capsys):
    _, db = tess_run
    capsys.readouterr()
    assert main(["run", "--mission", "tess", "--archive", str(TESS_ARCHIVE),
                 "--db", f"sqlite:///{db}", "--quiet"]) == 0
    assert "skipped   5" in capsys.readouterr().out


@pytest.mark.parametrize(("product", "name"), [(TASOC, "TASOC HLSP"),
                                                (ELEANOR, "GSFC-ELEANOR-LITE HLSP")])
def test_a_product_without_pdcsap_flux_fails_its_star_naming_the_product(
        product, name, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    for tic in (WASP_126, PI_MEN):
        folder = mirror / str(tess_layout.tic_folder(tic))
        folder.mkdir(parents=True)
        for path in ([product] if tic == PI_MEN else sector_files(tic)):
            shutil.copy(path, folder / path.name)
    db = tmp_path / "lcfeat.db"
    assert main(["run", "--mission", "tess", "--archive", str(mirror),
                 "--db", f"sqlite:///{db}", "--quiet"]) == 1
    failures = _table(db, "failures")
    assert list(failures) == [f"TIC {PI_MEN}"]
    assert f"{name} without a PDCSAP_FLUX column" in failures[f"TIC {PI_MEN}"]["message"]
    assert list(_table(db, "features")) == [f"TIC {WASP_126}"]
    capsys.readouterr()
    assert main(["extract", str(product)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert f"{name} has no PDCSAP_FLUX column" in err


def test_extract_reads_tess_files(capsys):
    assert main(["extract", *map(str, sector_files(PI_MEN))]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["target_id"] == f"TIC {PI_MEN}" and record["sectors"] == [1]
    assert all(record[name] is not None for name in FEATURE_NAMES)
    assert record["transit_bls_period"] == pytest.approx(PLANETS[PI_MEN], rel=1e-3)


def test_ids_of_the_other_mission_are_usage_errors(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["run", "--targets", "TIC 261136679,KIC 11904151", "--db", db]) == 2
    assert "is a TIC id but the targets are Kepler stars" in capsys.readouterr().err
    assert main(["run", "--mission", "tess", "--targets", "bundled-5", "--db", db]) == 2
    assert "lists Kepler stars" in capsys.readouterr().err


def test_run_from_mast_layout_over_http(tmp_path, capsys):
    with FaultServer(mast_tree(tmp_path / "mast", (PI_MEN, WASP_126))) as server:
        db = tmp_path / "lcfeat.db"
        code = main(["run", "--mission", "tess", "--archive", server.url,
                     "--cache", str(tmp_path / "cache"), "--targets", f"{PI_MEN},{WASP_126}",
                     "--db", f"sqlite:///{db}", "--workers", "2", "--quiet"])
    assert code == 0
    rows = _table(db, "features")
    assert rows[f"TIC {WASP_126}"]["transit_bls_period"] == pytest.approx(3.2888, rel=1e-3)
    assert (tmp_path / "cache" / str(tess_layout.tic_folder(PI_MEN))).is_dir()


def test_extract_table_takes_tess_stars_beside_kepler_ones():
    import lcfeat

    table = lcfeat.extract_table(
        [sector_files(WASP_126), quarter_files(11904151), str(sector_files(L_98_59)[0])],
        workers=2)
    assert list(table.index) == [f"TIC {WASP_126}", "KIC 11904151", f"TIC {L_98_59}"]
    assert table.loc[f"TIC {WASP_126}", "transit_bls_period"] == pytest.approx(3.2888, rel=1e-3)
    assert not table.attrs["failures"]
