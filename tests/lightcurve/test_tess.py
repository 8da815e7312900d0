"""Reading TESS SPOC light curves: the mission from the header, lightkurve's TESS mask and
cadences, rows without TIME dropped, one file per sector, clear errors for other products."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from lcfeat.errors import InvalidLightCurveFileError
from lcfeat.lightcurve import quality_bitmask, read_file, read_light_curve, read_sector
from tests.conftest import (
    PI_MEN,
    TESS_STARS,
    TESS_TEST_DATA,
    WASP_126,
    quarter_files,
    sector_files,
)

WASP_126_RELEASE_0 = (TESS_TEST_DATA / "wasp126-data-rel-0"
                      / "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits")
TASOC = next(TESS_TEST_DATA.glob("hlsp_tasoc_*.fits"))
ELEANOR = next(TESS_TEST_DATA.glob("hlsp_gsfc-eleanor-lite_*.fits"))


def _lightkurve_read(path: Path):
    import lightkurve as lk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lk.read(str(path), quality_bitmask="default").remove_nans()


def every_tess_file() -> list[Path]:
    return [path for tic in TESS_STARS for path in sector_files(tic)] + [WASP_126_RELEASE_0]


@pytest.mark.parametrize("path", every_tess_file(), ids=lambda p: p.name[:40])
def test_sector_matches_lightkurve(path):
    """The cadences kept and the normalised flux are lightkurve's (TessQualityFlags default,
    rows without TIME or flux dropped), for 2-minute, data-alerts and TESS-SPOC FFI files."""
    ours = read_sector(path)
    theirs = _lightkurve_read(path)
    np.testing.assert_array_equal(ours.time, theirs.time.value)
    np.testing.assert_allclose(ours.flux, theirs.flux.value, rtol=1e-6)
    np.testing.assert_allclose(ours.flux / np.median(ours.flux),
                               theirs.normalize().flux.value, rtol=1e-6)
    assert ours.mission == "tess"
    assert ours.kepler_id == theirs.meta["TICID"]
    assert ours.quarter == theirs.meta["SECTOR"]


def test_tess_default_mask_is_lightkurves():
    from lightkurve.utils import TessQualityFlags

    assert quality_bitmask("default", "tess") == TessQualityFlags.DEFAULT_BITMASK == 17087
    assert quality_bitmask("default", "kepler") != quality_bitmask("default", "tess")


def test_rows_without_time_are_dropped():
    """WASP-126's first data release has 815 rows with no TIME but a finite PDCSAP flux."""
    with fits.open(WASP_126_RELEASE_0, memmap=False) as hdul:
        data = hdul["LIGHTCURVE"].data
        time = np.asarray(data["TIME"], dtype=float)
        flux = np.asarray(data["PDCSAP_FLUX"], dtype=float)
        flags = np.asarray(data["QUALITY"], dtype=np.int64)
    assert np.count_nonzero(~np.isfinite(time) & np.isfinite(flux)) == 815
    sector = read_sector(WASP_126_RELEASE_0)
    expected = np.isfinite(time) & np.isfinite(flux) & ((flags & quality_bitmask("default",
                                                                                "tess")) == 0)
    assert sector.time.size == np.count_nonzero(expected)
    assert np.isfinite(sector.time).all() and np.isfinite(sector.flux).all()
    assert sector.n_rows == time.size


@pytest.mark.parametrize(("path", "product"), [(TASOC, "TASOC HLSP"),
                                                (ELEANOR, "GSFC-ELEANOR-LITE HLSP")])
def test_products_without_pdcsap_flux_are_named(path, product):
    with pytest.raises(InvalidLightCurveFileError,
                       match=f"{path.name}: {product} has no PDCSAP_FLUX column"):
        read_light_curve([path])


def test_the_mission_comes_from_the_header_not_the_name(tmp_path):
    tess_as_kepler = tmp_path / "kplr000000001-2009166043257_llc.fits"
    shutil.copy(sector_files(WASP_126)[0], tess_as_kepler)
    read = read_file(tess_as_kepler)
    assert (read.mission, read.kepler_id, read.quarter) == ("tess", WASP_126, 1)
    kepler_as_tess = tmp_path / "tess2018206045859-s0001-0000000011904151-0120-s_lc.fits"
    shutil.copy(quarter_files(11904151)[0], kepler_as_tess)
    read = read_file(kepler_as_tess)
    assert (read.mission, read.kepler_id, read.quarter) == ("kepler", 11904151, 13)


def test_a_target_of_one_mission_refuses_files_of_the_other():
    with pytest.raises(InvalidLightCurveFileError, match="mission is 'TESS', not Kepler"):
        read_light_curve(sector_files(WASP_126), mission="kepler")
    with pytest.raises(InvalidLightCurveFileError, match="mission is 'Kepler', not TESS"):
        read_light_curve(quarter_files(11904151), mission="tess")
    with pytest.raises(InvalidLightCurveFileError, match="different missions"):
        read_light_curve([*sector_files(WASP_126), *quarter_files(11904151)])


def test_a_sector_given_twice_is_read_once_at_the_shorter_cadence():
    """pi Men's sector 1 comes as a 2-minute light curve and a TESS-SPOC 30-minute one."""
    ffi, two_minute = sector_files(PI_MEN)
    assert ffi.name.startswith("hlsp_tess-spoc") and two_minute.name.startswith("tess")
    lc = read_light_curve([ffi, two_minute])
    assert lc.target_id == f"TIC {PI_MEN}" and lc.quarters == (1,)
    assert lc.n_points == read_sector(two_minute).time.size
    assert any("30-minute" in note and "2-minute" in note for note in lc.skipped_quarters)
    alone = read_light_curve([ffi])
    assert np.median(np.diff(alone.time)) == pytest.approx(30 / 1440, rel=1e-3)


def test_sectors_are_normalised_and_stitched(tmp_path):
    """Two sectors (the same file with its SECTOR and times moved on by 27.4 d, as sector 2)
    are each divided by their median and joined in time order."""
    source = sector_files(WASP_126)[0]
    later = tmp_path / "hlsp_tess-data-alerts_tess_phot_00025155310-s02_tess_v1_lc.fits"
    shutil.copy(source, later)
    with fits.open(later, mode="update", memmap=False) as hdul:
        hdul[0].header["SECTOR"] = 2
        hdul["LIGHTCURVE"].data["TIME"] += 27.4
        hdul["LIGHTCURVE"].data["PDCSAP_FLUX"] *= 3.0
    lc = read_light_curve([later, source])
    assert lc.quarters == (1, 2)
    assert np.all(np.diff(lc.time) > 0)
    for sector in (1, 2):
        assert np.median(lc.flux[lc.quarter == sector]) == pytest.approx(1.0, abs=1e-12)
    assert lc.stellar["radius"] == pytest.approx(1.27, rel=1e-6)
    assert lc.stellar["tessmag"] == pytest.approx(10.555, rel=1e-6)


def test_twenty_second_light_curves_and_missing_sector_are_clear_errors(tmp_path):
    fast = tmp_path / "fast.fits"
    shutil.copy(sector_files(WASP_126)[0], fast)
    with fits.open(fast, mode="update", memmap=False) as hdul:
        hdul["LIGHTCURVE"].header["TIMEDEL"] = 20.0 / 86400.0
    with pytest.raises(InvalidLightCurveFileError, match="20-second cadence"):
        read_sector(fast)
    no_sector = tmp_path / "no_sector.fits"
    shutil.copy(sector_files(WASP_126)[0], no_sector)
    with fits.open(no_sector, mode="update", memmap=False) as hdul:
        del hdul[0].header["SECTOR"]
    with pytest.raises(InvalidLightCurveFileError, match="no SECTOR keyword"):
        read_sector(no_sector)


def test_truncated_tess_file_fails_cleanly(tmp_path):
    broken = tmp_path / sector_files(WASP_126)[0].name
    broken.write_bytes(sector_files(WASP_126)[0].read_bytes()[:300_000])
    with pytest.raises(InvalidLightCurveFileError, match="unreadable FITS"):
        read_light_curve([broken])
