"""The Python API on the bundled real Kepler files: one star from files, from lightkurve
objects and from arrays; many stars through the worker pool; the stored table; the search."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

import lcfeat
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES
from lcfeat.lightcurve.quality import quality_bitmask
from lcfeat.lightcurve.sources import QUARTER_STARTS_BKJD, kepler_quarter
from tests.conftest import ARCHIVE, TEST_DATA, quarter_files

KEPLER_10 = quarter_files(11904151)[0]  # Q13
CENTROID = [n for n in FEATURE_NAMES if n.startswith("centroid_")]
#: What arrays cannot carry: centroids, and the stellar radius of the FITS header.
NOT_IN_ARRAYS = {*CENTROID, "transit_implied_r_planet_rjup", "transit_physically_plausible"}


def lightkurve():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lightkurve as lk
    return lk


def lk_read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lightkurve().read(str(path))


def raw_arrays(path, bitmask: int):
    """TIME, PDCSAP_FLUX and its error of the cadences lcfeat's mask keeps, as a user reads
    them with astropy."""
    with fits.open(path, memmap=False) as hdul:
        data = hdul[1].data
        time, flux, err = (np.array(data[c], dtype=float)
                           for c in ("TIME", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR"))
        keep = (np.asarray(data["SAP_QUALITY"]) & bitmask) == 0
    return time[keep], flux[keep], err[keep]


@pytest.fixture(scope="module")
def kepler10_row():
    return lcfeat.extract_features(KEPLER_10)


def test_import_lcfeat_is_light_and_names_the_api():
    import subprocess
    import sys

    code = ("import sys, lcfeat; print(sorted(m for m in ('lcfeat.api', 'numba', 'pandas') "
            "if m in sys.modules)); print(callable(lcfeat.extract_features))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"
    assert {"extract_features", "extract_table", "read_features", "search_transits",
            "plot_sheet"} <= set(dir(lcfeat))
    with pytest.raises(AttributeError):
        lcfeat.no_such_function  # noqa: B018


def test_a_path_gives_what_lcfeat_extract_gives(kepler10_row, capsys):
    import json

    from lcfeat.cli import main

    assert main(["extract", str(KEPLER_10)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert kepler10_row.target_id == "KIC 11904151"
    assert {n: printed[n] for n in FEATURE_NAMES} == kepler10_row.values
    assert 0.83 < kepler10_row.values["transit_bls_period"] < 0.84  # Kepler-10 b


def test_to_dict_and_to_series(kepler10_row):
    record = kepler10_row.to_dict()
    assert list(record) == [*FEATURE_NAMES, *EXTRA_NAMES]
    series = kepler10_row.to_series()
    assert series.name == "KIC 11904151" and series.dtype == np.float64
    assert list(series.index) == list(record)
    for name, value in record.items():
        assert (math.isnan(series[name]) if value is None else series[name] == value)
    assert series.attrs["units"]["transit_bls_period"] == "d"
    assert series.attrs["units"]["transit_bls_epoch"] == "d (BKJD; BTJD for TESS)"


def test_a_lightkurve_light_curve_gives_the_same_features(kepler10_row):
    row = lcfeat.extract_features(lk_read(KEPLER_10))
    assert row.values == kepler10_row.values  # same cadences, same arithmetic: bit for bit
    assert row.extras == kepler10_row.extras
    assert row.n_points == kepler10_row.n_points and row.quarters == (13,)


def test_a_lightkurve_collection_is_stitched_as_lcfeat_stitches_files():
    files = quarter_files(3342467)[:3]
    collection = lightkurve().LightCurveCollection([lk_read(p) for p in files])
    ours = lcfeat.extract_features(files)
    theirs = lcfeat.extract_features(collection)
    assert theirs.values == ours.values
    assert theirs.quarters == ours.quarters == (1, 2, 3)


def test_raw_arrays_give_the_files_values_bit_for_bit(kepler10_row):
    time, flux, flux_err = raw_arrays(KEPLER_10, quality_bitmask("default"))
    row = lcfeat.extract_features(time, flux, flux_err)
    assert row.quarters == (13,)  # found from the times
    same = [n for n in FEATURE_NAMES if n not in NOT_IN_ARRAYS]
    assert {n: row.values[n] for n in same} == {n: kepler10_row.values[n] for n in same}
    assert all(row.values[n] is None for n in NOT_IN_ARRAYS)
    assert "no centroids given" in row.null_reasons["centroid_jitter_mean"]
    # a tuple is the same as separate arrays; flux_err is optional
    assert lcfeat.extract_features((time, flux, flux_err)).values == row.values
    assert lcfeat.extract_features(time, flux).values["stat_std"] == row.values["stat_std"]


def test_multi_quarter_arrays_are_normalised_per_quarter_as_files_are():
    files = quarter_files(3342467)[:2]
    parts = [raw_arrays(p, quality_bitmask("default")) for p in files]
    time, flux, flux_err = (np.concatenate(c) for c in zip(*parts, strict=True))
    row = lcfeat.extract_features(time, flux, flux_err, kepler_id=3342467)
    reference = lcfeat.extract_features(files)
    assert row.target_id == "KIC 3342467" and row.quarters == (1, 2)
    same = [n for n in FEATURE_NAMES if n not in NOT_IN_ARRAYS]
    assert {n: row.values[n] for n in same} == {n: reference.values[n] for n in same}


def test_quarter_of_a_time_matches_every_bundled_file():
    for path in sorted(ARCHIVE.rglob("kplr*_llc.fits")):
        with fits.open(path, memmap=False) as hdul:
            time = np.array(hdul[1].data["TIME"], dtype=float)
            expected = hdul[0].header["QUARTER"]
        assert set(kepler_quarter(time[np.isfinite(time)])) == {expected}, path.name
    assert list(kepler_quarter(np.array([0.0, 5000.0]))) == [-1, -1]  # not Kepler times
    assert kepler_quarter(np.array([QUARTER_STARTS_BKJD[5] + 1.0]))[0] == 5


def test_bad_sources_are_clear_errors():
    from lcfeat.errors import InvalidLightCurveFileError

    with pytest.raises(InvalidLightCurveFileError, match="mission is 'K2', not Kepler"):
        lcfeat.extract_features(TEST_DATA / "ktwo211121743-c04_llc.fits")
    with pytest.raises(TypeError, match="cannot make a light curve from"):
        lcfeat.extract_features(object())
    with pytest.raises(ValueError, match="1-d arrays of one length"):
        lcfeat.extract_features(np.arange(10.0), np.ones(9))


def test_search_transits_returns_the_candidate_and_the_periodogram():
    from lcfeat.search.transits import search_transits

    assert lcfeat.search_transits is search_transits
    lc = lcfeat.light_curve(KEPLER_10)
    found = lcfeat.search_transits(lc.time, lc.flux)
    assert found.candidate.period == pytest.approx(0.8375, abs=2e-3)  # Kepler-10 b
    assert found.periods.shape == found.power.shape and found.periods.size > 1000
    best = found.periods[np.argmax(found.power)]
    assert best == pytest.approx(found.candidate.period, rel=2e-3)
    assert found.sde > 10 and found.time.shape == found.y.shape
    with pytest.raises(lcfeat.NotSearchableError):
        lcfeat.search_transits(lc.time[:20], lc.flux[:20])


def test_extract_table_runs_many_stars_through_the_worker_pool(kepler10_row):
    gj1243 = quarter_files(9726699)
    sources = [
        KEPLER_10,                                   # a file
        lk_read(gj1243[0]),                          # a lightkurve light curve
        10001893,                                    # a KIC id, fetched from the archive
        TEST_DATA / "ktwo211121743-c04_llc.fits",    # not Kepler: fails alone
    ]
    table = lcfeat.extract_table(sources, workers=2, archive=str(ARCHIVE))
    assert list(table.index) == ["KIC 11904151", "KIC 9726699", "KIC 10001893"]
    assert table.index.name == "target_id"
    assert list(table.columns) == [*FEATURE_NAMES, *EXTRA_NAMES]
    expected = pd.Series(kepler10_row.to_dict(), dtype="float64")
    pd.testing.assert_series_equal(table.loc["KIC 11904151"], expected, check_names=False)
    gj = lcfeat.extract_features(gj1243[0]).to_series()
    pd.testing.assert_series_equal(table.loc["KIC 9726699"], gj, check_names=False)
    assert table.attrs["units"]["transit_bls_duration"] == "d"
    [(name, reason)] = table.attrs["failures"].items()
    assert "mission is 'K2'" in reason and reason.startswith("read: ")


def test_extract_table_takes_target_lists_as_run_does(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("kepid,label\n11904151,host\n10001893,quiet\n")
    table = lcfeat.extract_table(str(labels), workers=1, archive=str(ARCHIVE))
    assert list(table.index) == ["KIC 11904151", "KIC 10001893"]
    assert table.attrs["failures"] == {}


def test_read_features_gives_the_stored_table_with_units(db_url, kepler10_row):
    from datetime import UTC, datetime

    from lcfeat.store import BatchLog, Store

    gj = lcfeat.extract_features(quarter_files(9726699)[0])
    store = Store.connect(db_url)
    store.prepare()
    store.write_batch([kepler10_row, gj], [], "run-1", "settings-1",
                      BatchLog(1, datetime.now(UTC)))
    store.close()
    table = lcfeat.read_features(db_url)
    assert list(table.index) == ["KIC 11904151", "KIC 9726699"]
    assert table.loc["KIC 11904151", "transit_bls_period"] == \
        kepler10_row.values["transit_bls_period"]
    for name in FEATURE_NAMES:
        stored, computed = table.loc["KIC 9726699", name], gj.values[name]
        assert (math.isnan(stored) if computed is None
                else stored == pytest.approx(computed, rel=1e-12))
    assert table.attrs["units"]["transit_bls_period"] == "d"
    assert table.attrs["units"]["n_points"] == "count"
    assert "period of the best box" in table.attrs["definitions"]["transit_bls_period"]
    assert list(lcfeat.read_features(db_url, run="run-").index) == list(table.index)
    assert lcfeat.read_features(db_url, run="other").empty


def test_read_features_of_a_database_without_features_is_a_clear_error(tmp_path):
    import sqlalchemy as sa

    from lcfeat.errors import ConfigurationError

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    sa.create_engine(url).connect().close()
    with pytest.raises(ConfigurationError, match="has no 'features' table"):
        lcfeat.read_features(url)
