"""Reading Kepler files: quality mask and normalisation against lightkurve, bad input."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from lcfeat.errors import InvalidLightCurveFileError, NoUsableDataError
from lcfeat.lightcurve import quality_bitmask, read_light_curve, read_quarter
from tests.conftest import TEST_DATA, quarter_files

ROLLING_BAND = 131072


def _lightkurve_read(path: Path, bitmask: int):
    import lightkurve as lk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lk.read(str(path), quality_bitmask=bitmask).remove_nans()


def test_default_mask_is_lightkurve_default_plus_rolling_band():
    from lightkurve.utils import KeplerQualityFlags

    assert quality_bitmask("default") == KeplerQualityFlags.DEFAULT_BITMASK | ROLLING_BAND
    assert quality_bitmask("default") == 1130799 | 131072  # the value FEATURES.md states
    assert quality_bitmask("hard") & ROLLING_BAND
    assert quality_bitmask("none") == 0
    assert quality_bitmask(42) == 42
    with pytest.raises(ValueError, match="unknown quality setting"):
        quality_bitmask("strict")


@pytest.mark.parametrize("kepler_id", [11904151, 10002792, 9726699])
def test_quarter_matches_lightkurve(kepler_id):
    """Same cadences kept and the same normalised flux as lightkurve with the same mask."""
    for path in quarter_files(kepler_id):
        ours = read_quarter(path)
        theirs = _lightkurve_read(path, quality_bitmask("default"))
        np.testing.assert_array_equal(ours.time, theirs.time.value)
        np.testing.assert_allclose(ours.flux, theirs.flux.value, rtol=1e-6)
        lk_norm = theirs.normalize().flux.value
        np.testing.assert_allclose(ours.flux / np.median(ours.flux), lk_norm, rtol=1e-6)


def test_rolling_band_cadences_are_removed():
    path = quarter_files(10002792)[1]  # Q5 has rolling-band flags
    with fits.open(path, memmap=False) as hdul:
        flags = np.asarray(hdul[1].data["SAP_QUALITY"])
        flux = np.asarray(hdul[1].data["PDCSAP_FLUX"])
        time = np.asarray(hdul[1].data["TIME"])
    rolling = (flags & ROLLING_BAND) != 0
    assert rolling.sum() > 0, "this quarter was chosen because it has rolling-band cadences"
    kept = read_quarter(path)
    assert not np.isin(time[rolling & np.isfinite(flux)], kept.time).any()
    lk_default_only = _lightkurve_read(path, quality_bitmask("default") & ~ROLLING_BAND)
    assert lk_default_only.time.value.size > kept.time.size


def test_stitch_matches_lightkurve_stitch():
    import lightkurve as lk

    paths = quarter_files(10002792)
    lc = read_light_curve(paths)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collection = lk.LightCurveCollection(
            [lk.read(str(p), quality_bitmask=quality_bitmask("default")).remove_nans()
             for p in paths])
        stitched = collection.stitch()
    np.testing.assert_array_equal(lc.time, stitched.time.value)
    np.testing.assert_allclose(lc.flux, stitched.flux.value, rtol=1e-6)
    assert lc.quarters == (2, 5)
    assert np.all(np.diff(lc.time) > 0)
    for q in lc.quarters:
        assert np.median(lc.flux[lc.quarter == q]) == pytest.approx(1.0, abs=1e-12)


def test_full_target_keeps_centroids_and_quarters():
    lc = read_light_curve(quarter_files(3342467))
    assert lc.quarters == tuple(range(1, 18))
    assert 60_000 < lc.n_points < 69_302
    assert lc.centroid_col is not None and np.isfinite(lc.centroid_col).mean() > 0.99
    assert lc.stellar["radius"] > 0


def test_reads_without_memory_mapping(monkeypatch):
    seen = {}
    real_open = fits.open

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(fits, "open", spy)
    read_quarter(quarter_files(11904151)[0])
    assert seen.get("memmap") is False


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ktwo211121743-c04_llc.fits", "mission is 'K2'"),
        ("test-lc-tess-pimen-100-cadences.fits", "mission is 'TESS'"),
        ("kplr000757076-2009166043257_llc.fits", "no LIGHTCURVE table"),
        ("corrupted/test-tpf-kplr-tabby-corrupted.fits", "no LIGHTCURVE"),
        ("corrupted/test-tpf-kplr-tabby-corrupted-at-header.fits", "no LIGHTCURVE"),
        ("corrupted/test-tpf-kplr-tabby-corrupted-at-header2.fits", "unreadable FITS"),
        ("corrupted/test-lc-tess-pimen-corrupted.fits", "mission is 'TESS'"),
    ],
)
def test_bad_files_raise_one_clear_error(name, message):
    with pytest.raises(InvalidLightCurveFileError, match=message):
        read_quarter(TEST_DATA / name)


def test_truncated_kepler_file_fails_cleanly(tmp_path):
    source = quarter_files(11904151)[0]
    broken = tmp_path / source.name
    broken.write_bytes(source.read_bytes()[: 200_000])
    with pytest.raises(InvalidLightCurveFileError, match="unreadable FITS"):
        read_quarter(broken)


def test_non_fits_file_fails_cleanly(tmp_path):
    text = tmp_path / "notes_llc.fits"
    text.write_text("not a FITS file at all\n" * 100)
    with pytest.raises(InvalidLightCurveFileError, match=text.name):
        read_quarter(text)


def _rewrite_flux(source: Path, target: Path, value: float) -> None:
    shutil.copy(source, target)
    with fits.open(target, mode="update", memmap=False) as hdul:
        hdul[1].data["PDCSAP_FLUX"][:] = value


def test_all_nan_quarter_is_skipped_and_empty_target_fails(tmp_path):
    good, second = quarter_files(10002792)
    nan_copy = tmp_path / second.name
    _rewrite_flux(second, nan_copy, np.nan)
    lc = read_light_curve([good, nan_copy])
    assert lc.quarters == (2,)
    assert any("Q5" in reason for reason in lc.skipped_quarters)
    with pytest.raises(NoUsableDataError, match="no usable cadence"):
        read_light_curve([nan_copy])


def test_files_of_different_targets_are_refused():
    with pytest.raises(InvalidLightCurveFileError, match="different targets"):
        read_light_curve([quarter_files(11904151)[0], quarter_files(9726699)[0]])


def test_no_files_is_an_error():
    with pytest.raises(NoUsableDataError):
        read_light_curve([], kepler_id=123)


# -- the same cadences twice ------------------------------------------------------------------

def _older_release(source: Path, target: Path, release: int, scale: float,
                   drop_cadenceno: bool = False) -> Path:
    """A copy of a real quarter file as an older data release whose fluxes differ."""
    shutil.copy(source, target)
    with fits.open(target, mode="update", memmap=False) as hdul:
        hdul[0].header["DATA_REL"] = release
        hdul[1].data["PDCSAP_FLUX"][:] = hdul[1].data["PDCSAP_FLUX"] * scale
    if drop_cadenceno:
        with fits.open(target, memmap=False) as hdul:
            columns = [c for c in hdul[1].columns if c.name != "CADENCENO"]
            table = fits.BinTableHDU.from_columns(columns, header=hdul[1].header,
                                                  name="LIGHTCURVE")
            fits.HDUList([hdul[0].copy(), table]).writeto(target, overwrite=True)
    return target


def _same(a, b) -> bool:
    return (np.array_equal(a.time, b.time) and np.array_equal(a.flux, b.flux)
            and np.array_equal(a.quarter, b.quarter))


def test_one_quarter_under_two_names_counts_once(tmp_path, caplog):
    """One Q13 file saved under two names (a mirror holding two data releases does this):
    its cadences are kept once, with a warning, and nothing downstream divides by zero."""
    (original,) = quarter_files(11904151)
    twin = tmp_path / original.name.replace("2012179063303", "2012179063304")
    shutil.copy(original, twin)
    single = read_light_curve([original])
    with caplog.at_level("WARNING", logger="lcfeat.lightcurve.kepler"):
        doubled = read_light_curve([original, twin])
    assert _same(doubled, single)
    assert np.all(np.diff(doubled.time) > 0)
    assert any("repeats" in r.getMessage() and twin.name in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("drop_cadenceno", [False, True])
def test_the_newest_data_release_of_a_quarter_wins(tmp_path, drop_cadenceno):
    (newest,) = quarter_files(11904151)  # DATA_REL 18
    older = _older_release(newest, tmp_path / newest.name.replace("063303", "063304"),
                           release=14, scale=1.01, drop_cadenceno=drop_cadenceno)
    expected = read_light_curve([newest])
    for order in ([older, newest], [newest, older]):
        assert _same(read_light_curve(order), expected)


def test_a_quarter_repeated_among_other_quarters_leaves_them_alone(tmp_path):
    files = quarter_files(3342467)
    twin = tmp_path / files[4].name.replace(files[4].name[14:27], "2099999999999")
    shutil.copy(files[4], twin)
    assert _same(read_light_curve([*files, twin]), read_light_curve(files))
