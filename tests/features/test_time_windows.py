"""Every window, lag and run length is defined in time: at Kepler's 29.4-minute cadence it is
the count of cadences it always was (Kepler values stay the same bit for bit), and at TESS's
2 minutes or the 30-minute full-frame images it spans the same time, so a feature means the
same thing whatever the sampling."""

from __future__ import annotations

import numpy as np
import pytest

from lcfeat.features import centroid, prepared, residual, temporal
from lcfeat.features.extract import extract_features
from lcfeat.features.prepared import Prepared
from lcfeat.lightcurve import LightCurve, read_light_curve
from lcfeat.lightcurve.robust import KEPLER_CADENCE_D, cadences_in, odd_cadences_in
from lcfeat.search import detrend
from tests.conftest import ARCHIVE, quarter_files

TWO_MINUTES = 2.0 / 1440.0
THIRTY_MINUTES = 30.0 / 1440.0


def counts(cadence: float) -> dict[str, int]:
    """Every time-defined window of the features and the search, in cadences of `cadence`."""
    return {
        **temporal.autocorr_lags(cadence),
        "hurst_min_window": cadences_in(temporal.HURST_MIN_WINDOW_D, cadence,
                                        temporal.HURST_MIN_WINDOW),
        "cosmic_ray_window": odd_cadences_in(prepared.COSMIC_RAY_WINDOW_D, cadence, 3),
        "residual_autocorr_lag": cadences_in(residual.AUTOCORR_LAG_D, cadence),
        "ljung_box_lag": cadences_in(residual.LJUNG_BOX_LAG_D, cadence),
        "centroid_motion_lag": cadences_in(centroid.MOTION_LAG_D, cadence),
        "flare_median_window": odd_cadences_in(detrend.FLARE_MEDIAN_D, cadence, 3),
        "flare_max_length": cadences_in(detrend.FLARE_MAX_D, cadence),
        "red_noise_bin": cadences_in(detrend.RED_NOISE_BIN_D, cadence, 2),
    }


#: The counts lcfeat used at Kepler's long cadence before they were defined in time.
KEPLER_COUNTS = {
    "temp_autocorr_1hr": 2, "temp_autocorr_1day": 49, "temp_autocorr_1week": 343,
    "hurst_min_window": 16, "cosmic_ray_window": 9, "residual_autocorr_lag": 1,
    "ljung_box_lag": 10, "centroid_motion_lag": 1, "flare_median_window": 13,
    "flare_max_length": 12, "red_noise_bin": 6,
}


def test_kepler_long_cadence_gives_the_counts_it_always_had():
    assert counts(KEPLER_CADENCE_D) == KEPLER_COUNTS


@pytest.mark.parametrize("folder", sorted(ARCHIVE.glob("*/*")), ids=lambda p: p.name)
def test_every_bundled_kepler_star_gets_the_kepler_counts(folder):
    """From the cadence each star's own time stamps give (barycentric times drift)."""
    lc = read_light_curve(sorted(folder.glob("kplr*_llc.fits")))
    assert counts(Prepared(lc).cadence) == KEPLER_COUNTS


def test_tess_cadences_span_the_same_times():
    assert counts(TWO_MINUTES) == {
        "temp_autocorr_1hr": 30, "temp_autocorr_1day": 720, "temp_autocorr_1week": 5040,
        "hurst_min_window": 235, "cosmic_ray_window": 133, "residual_autocorr_lag": 15,
        "ljung_box_lag": 147, "centroid_motion_lag": 15, "flare_median_window": 191,
        "flare_max_length": 177, "red_noise_bin": 88,
    }
    assert counts(THIRTY_MINUTES) == {**KEPLER_COUNTS, "temp_autocorr_1day": 48,
                                      "temp_autocorr_1week": 336}


def _sampled(cadence: float, days: float = 27.0) -> LightCurve:
    """One smooth star sampled every `cadence` days over a TESS sector (a gap mid-way):
    two periodicities in the flux, a slow wobble in the centroid, a whisper of noise."""
    time = np.arange(0.0, days, cadence)
    time = time[(time < 13.0) | (time > 14.0)]
    rng = np.random.default_rng(7)
    flux = (1.0 + 2e-3 * np.sin(2 * np.pi * time / 2.3) + 5e-4 * np.sin(2 * np.pi * time / 0.31)
            + 1e-7 * rng.standard_normal(time.size))
    col = 100.0 + 0.05 * np.sin(2 * np.pi * time / 0.9)
    row = 50.0 + 0.03 * np.cos(2 * np.pi * time / 0.9)
    return LightCurve(kepler_id=1, time=time, flux=flux, flux_err=np.full(time.size, 1e-4),
                      quarter=np.ones(time.size, dtype=np.int16), centroid_col=col,
                      centroid_row=row)


def test_the_same_star_gives_the_same_features_at_2_and_29_4_minutes():
    """Lags in time: each feature of a smooth star agrees between the two samplings (a lag
    of two cadences would be 4 minutes at TESS's cadence and give about 1 for every lag)."""
    names = ("temp_autocorr_1hr", "temp_autocorr_1day", "temp_autocorr_1week",
             "resid_after_detrend_autocorr", "centroid_rms_motion", "temp_memory_coefficient")
    kepler = extract_features(_sampled(KEPLER_CADENCE_D),
                              domains=("temporal", "residual", "centroid")).values
    tess = extract_features(_sampled(TWO_MINUTES),
                            domains=("temporal", "residual", "centroid")).values
    for name in names:
        assert tess[name] == pytest.approx(kepler[name], abs=0.03, rel=0.03), name
    # and the lags are not degenerate: a day on a 2.3-day period is far from 1
    assert kepler["temp_autocorr_1day"] < 0.0
    assert tess["temp_autocorr_1hr"] < 0.99


def test_flare_rules_cover_the_same_time_at_both_cadences():
    """A flare decaying over an hour is cut over the same stretch of time whatever the
    sampling (its cadences and the ones after it while above 1 sigma)."""
    spans = {}
    for cadence in (KEPLER_CADENCE_D, TWO_MINUTES):
        time = np.arange(0.0, 10.0, cadence)
        rng = np.random.default_rng(3)
        sigma = 1e-4
        noise = sigma * rng.standard_normal(time.size)
        after = np.clip(time - 5.0, 0.0, None)
        flare = np.where(time >= 5.0, 4e-3 * np.exp(-after / (1.0 / 24.0)), 0.0)
        mask = detrend.flare_mask(noise + flare, sigma, cadence)
        flagged = time[mask & (np.abs(time - 5.0) < 0.5)]
        spans[cadence] = (flagged.min(), flagged.max())
    (k_start, k_end), (t_start, t_end) = spans[KEPLER_CADENCE_D], spans[TWO_MINUTES]
    assert abs(k_start - t_start) <= KEPLER_CADENCE_D
    assert abs(k_end - t_end) <= 2 * KEPLER_CADENCE_D
    assert t_end - t_start > 0.05  # hours, not the 24 minutes of 12 two-minute cadences


def test_kepler_features_use_the_counts_it_always_had(monkeypatch):
    """On a real Kepler star every time-defined window resolves to its old count: the lags
    the temporal domain asks for are exactly 2, 49 and 343."""
    seen = []
    real = temporal.lag_autocorrelation

    def spy(x, slots, lag):
        seen.append(lag)
        return real(x, slots, lag)

    monkeypatch.setattr(temporal, "lag_autocorrelation", spy)
    extract_features(read_light_curve(quarter_files(11904151)), domains=("temporal",))
    assert seen == [2, 49, 343]
