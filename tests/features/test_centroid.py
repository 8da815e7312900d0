"""Centroid domain: constructed offsets with known answers, real files read by lightkurve."""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pytest
from astropy.io import fits

from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import compute_domain, names_in
from lcfeat.lightcurve import quality_bitmask, read_quarter, stitch
from lcfeat.lightcurve.robust import KEPLER_CADENCE_D

NAMES = names_in("centroid")
BUNDLED_TARGETS = [3342467, 11904151, 9726699, 10001893, 10002792]


def features_of(lc) -> dict:
    return compute_domain("centroid", Prepared(lc)).values


def test_known_offsets_in_two_quarters(light_curve_from):
    """Quarter 1 circles (500, 300) at radius a, quarter 2 circles (510, 290) at radius b.

    Each quarter's median centroid is its circle's centre (the cosine and sine samples are
    symmetric about 0), so every distance is a or b exactly: mean (n1 a + n2 b)/(n1 + n2),
    std from the two-valued mixture, max max(a, b). Consecutive cadences are a chord
    2 r sin(pi / n) apart; the 14-pixel jump between the quarters must not count.
    """
    n1, n2, a, b = 1000, 600, 0.02, 0.05
    angle1 = 2 * np.pi * np.arange(n1) / n1
    angle2 = 2 * np.pi * np.arange(n2) / n2
    col = np.concatenate([500 + a * np.cos(angle1), 510 + b * np.cos(angle2)])
    row = np.concatenate([300 + a * np.sin(angle1), 290 + b * np.sin(angle2)])
    quarter = np.concatenate([np.full(n1, 1), np.full(n2, 2)])
    flux = 1 + 1e-4 * np.random.default_rng(1).standard_normal(n1 + n2)
    lc = light_curve_from(flux, quarter=quarter, centroid_col=col, centroid_row=row)
    values = features_of(lc)

    w1, w2 = n1 / (n1 + n2), n2 / (n1 + n2)
    assert values["centroid_jitter_mean"] == pytest.approx(w1 * a + w2 * b, rel=1e-9)
    assert values["centroid_jitter_std"] == pytest.approx(math.sqrt(w1 * w2) * abs(a - b),
                                                          rel=1e-9)
    assert values["centroid_jitter_max"] == pytest.approx(max(a, b), rel=1e-9)
    chord1, chord2 = 2 * a * math.sin(math.pi / n1), 2 * b * math.sin(math.pi / n2)
    rms = math.sqrt(((n1 - 1) * chord1**2 + (n2 - 1) * chord2**2) / (n1 + n2 - 2))
    assert values["centroid_rms_motion"] == pytest.approx(rms, rel=1e-6)


def test_nan_centroid_cadences_are_left_out(light_curve_from):
    """MOM_CENTR can be NaN where the flux is fine: the result is that of the light curve
    without those cadences."""
    n = 400
    rng = np.random.default_rng(2)
    col = 100 + 0.01 * rng.standard_normal(n)
    row = 200 + 0.01 * rng.standard_normal(n)
    col[::7] = np.nan
    flux = np.ones(n) + 1e-4 * rng.standard_normal(n)
    with_nan = compute_domain("centroid", Prepared(light_curve_from(flux, centroid_col=col,
                                                          centroid_row=row)))
    ok = np.isfinite(col)
    without = compute_domain("centroid", Prepared(light_curve_from(flux[ok], centroid_col=col[ok],
                                                         centroid_row=row[ok])))
    assert with_nan.null_reasons == {}
    assert with_nan.values == without.values


def lightkurve_centroids(path) -> tuple[np.ndarray, np.ndarray]:
    """MOM_CENTR1/2 as lightkurve reads one quarter file (same quality bitmask, finite flux
    and time, finite centroids)."""
    import lightkurve as lk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        klc = lk.read(str(path), quality_bitmask=quality_bitmask("default"),
                      flux_column="pdcsap_flux")
    ok = np.isfinite(np.asarray(klc.time.value)) & np.isfinite(klc.flux.unmasked.value)
    col = np.asarray(klc.centroid_col.unmasked.value, dtype=float)[ok]
    row = np.asarray(klc.centroid_row.unmasked.value, dtype=float)[ok]
    good = np.isfinite(col) & np.isfinite(row)
    return col[good], row[good]


def reference_features(paths) -> dict[str, float]:
    """The registry's definitions from lightkurve's reading, one file (quarter) at a time."""
    distances, steps = [], []
    for path in paths:
        col, row = lightkurve_centroids(path)
        distances.append(np.hypot(col - np.median(col), row - np.median(row)))
        steps.append(np.diff(col) ** 2 + np.diff(row) ** 2)
    distance = np.concatenate(distances)
    return {
        "centroid_jitter_mean": distance.mean(),
        "centroid_jitter_std": distance.std(),
        "centroid_jitter_max": distance.max(),
        "centroid_rms_motion": math.sqrt(np.concatenate(steps).mean()),
    }


@pytest.mark.parametrize("kepler_id", [11904151, 9726699, 10001893, 3342467])
def test_matches_lightkurve_on_real_files(kepler_id, read_target, bundled_files):
    """Agreement to rounding (the same arithmetic on the same numbers, read by lightkurve)."""
    values = features_of(read_target(kepler_id))
    expected = reference_features(bundled_files(kepler_id))
    for name in NAMES:
        assert values[name] == pytest.approx(expected[name], rel=1e-12), name
    # Kepler's pointing jitter is hundredths of a pixel (KSCI-19040): a sanity bound.
    assert 1e-4 < values["centroid_jitter_mean"] < 1.0


@pytest.mark.parametrize("kepler_id", BUNDLED_TARGETS)
def test_a_file_with_centroids_never_gives_null(kepler_id, read_target):
    result = compute_domain("centroid", Prepared(read_target(kepler_id)))
    assert result.null_reasons == {}
    assert all(isinstance(v, float) and math.isfinite(v) for v in result.values.values())


def test_lower_case_column_names_are_found(tmp_path, bundled_files):
    """A copy of a real file whose column names are all lower case gives the same values."""
    (original,) = bundled_files(11904151)
    copy = tmp_path / original.name
    with fits.open(original, memmap=False) as hdul:
        for name in list(hdul["LIGHTCURVE"].columns.names):
            hdul["LIGHTCURVE"].columns.change_name(name, name.lower())
        hdul.writeto(copy)
    with fits.open(copy, memmap=False) as hdul:
        assert "mom_centr1" in hdul["LIGHTCURVE"].columns.names  # really lower case on disk
        assert "MOM_CENTR1" not in hdul["LIGHTCURVE"].columns.names
    lowered = stitch([read_quarter(copy)])
    assert lowered.centroid_col is not None
    assert features_of(lowered) == features_of(stitch([read_quarter(original)]))


def test_no_centroids_gives_null_with_reason_and_a_log_record(light_curve_from, caplog):
    lc = light_curve_from(np.ones(100), centroid_null_reason="files have no MOM_CENTR1",
                          kepler_id=42)
    with caplog.at_level(logging.WARNING, logger="lcfeat.features.centroid"):
        result = compute_domain("centroid", Prepared(lc))
    assert all(result.values[name] is None for name in NAMES)
    assert all(result.null_reasons[name] == "files have no MOM_CENTR1" for name in NAMES)
    records = [r for r in caplog.records if r.name == "lcfeat.features.centroid"]
    assert records and "KIC 42" in records[0].getMessage()
    assert "MOM_CENTR1" in records[0].getMessage()


def test_file_without_centroid_columns(tmp_path, bundled_files, caplog):
    """Drop the MOM_CENTR columns from a real file: NULL with the reader's reason, logged."""
    (original,) = bundled_files(10001893)
    stripped = tmp_path / original.name
    with fits.open(original, memmap=False) as hdul:
        table = hdul["LIGHTCURVE"]
        keep = [c for c in table.columns if not c.name.upper().startswith("MOM_CENTR")]
        hdul["LIGHTCURVE"] = fits.BinTableHDU.from_columns(keep, header=table.header,
                                                           name="LIGHTCURVE")
        hdul.writeto(stripped)
    with caplog.at_level(logging.WARNING):
        lc = stitch([read_quarter(stripped)])
        result = compute_domain("centroid", Prepared(lc))
    assert all(v is None for v in result.values.values())
    assert "MOM_CENTR" in result.null_reasons["centroid_jitter_mean"]
    assert any(r.name == "lcfeat.features.centroid" for r in caplog.records)


def test_all_nan_centroids_give_null_with_reason(light_curve_from):
    n = 50
    lc = light_curve_from(np.ones(n), centroid_col=np.full(n, np.nan),
                          centroid_row=np.full(n, np.nan))
    result = compute_domain("centroid", Prepared(lc))
    assert all(v is None for v in result.values.values())
    assert "finite centroid" in result.null_reasons["centroid_jitter_max"]


def test_arrays_without_centroids_are_not_a_warning(caplog):
    """Arrays `time, flux` carry no centroids by the caller's choice: NULL with that reason,
    logged at INFO, not WARNING (a notebook calling extract_features in a loop stays quiet);
    a file without centroid columns still warns (test above)."""
    import lcfeat

    time = np.arange(0.0, 90.0, KEPLER_CADENCE_D)
    flux = 1.0 + 1e-3 * np.random.default_rng(4).standard_normal(time.size)
    with caplog.at_level(logging.INFO, logger="lcfeat.features.centroid"):
        row = lcfeat.extract_features(time, flux)
    assert all(row.values[name] is None for name in NAMES)
    records = [r for r in caplog.records if r.name == "lcfeat.features.centroid"]
    assert records and all(r.levelno == logging.INFO for r in records)
