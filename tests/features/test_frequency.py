"""Frequency domain against astropy's LombScargle and signals with known answers.

The independent references: astropy's exact Lomb-Scargle sums (method='cython'/'slow') and its
low-rank NUFFT (method='fast', astropy 8's default, accurate to ~1e-16 here, checked below
against the exact sums), astropy's Baluev false-alarm level, and synthetic signals whose
periodogram is known analytically.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from astropy.timeseries import LombScargle
from hypothesis import HealthCheck, given, settings
from scipy import integrate
from scipy.signal import sawtooth

from lcfeat.features import frequency
from lcfeat.features.frequency_periodogram import (
    frequency_grid,
    lombscargle_direct,
    lombscargle_fast,
)
from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import compute_domain, names_in
from tests.features.conftest import KEPLER_CADENCE, assert_policy, make_light_curve
from tests.features.frequency_residual_strategies import (
    NAMED_BAD_CASES,
    hostile_light_curves,
    named_bad_flux,
)

NAMES = names_in("frequency")
#: Agreement of the fast periodogram with astropy's exact sums, absolute (power is in [0, 1]).
#: The Gaussian-gridding truncation error is ~4e-7 of sum|c_j|; measured on the real targets
#: below: <= 1.3e-10. 1e-8 still resolves the median power of KIC 3342467 (3.8e-7).
POWER_TOLERANCE = 1e-8


def grid_of(t: np.ndarray) -> tuple[float, int, int, np.ndarray]:
    df, k_first, k_last = frequency._grid(float(t.max() - t.min()))
    return df, k_first, k_last, frequency_grid(k_first, k_last, df)


def astropy_ls(t: np.ndarray, y: np.ndarray) -> LombScargle:
    # The periodogram of the registry: classic (no floating mean), mean subtracted, standard.
    return LombScargle(t, y, fit_mean=False, center_data=True, normalization="standard")


def kepler_time(days: float) -> np.ndarray:
    return 100.0 + KEPLER_CADENCE * np.arange(int(days / KEPLER_CADENCE))


# --- the fast periodogram --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_periodogram_equals_astropy_exact_on_irregular_sampling(seed):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 40, 500))
    y = np.sin(2 * np.pi * t / 2.7) + rng.standard_normal(t.size)
    df, k_first, k_last, grid = grid_of(t)
    exact = astropy_ls(t, y).power(grid, method="cython")
    assert np.max(np.abs(lombscargle_fast(t, y, df, k_first, k_last) - exact)) < POWER_TOLERANCE
    # The O(N Nf) reference kept beside the kernel agrees with astropy to rounding.
    assert np.max(np.abs(lombscargle_direct(t, y, df, k_first, k_last) - exact)) < 1e-12


@pytest.fixture(scope="module", params=[3342467, 10002792])
def real_periodogram(request, read_target):
    """A real target's clean flux, our features and periodogram, and astropy's periodogram."""
    prepared = Prepared(read_target(request.param))
    t, y = prepared.time, prepared.flux
    df, k_first, k_last, grid = grid_of(t)
    ls = astropy_ls(t, y)
    reference = ls.power(grid, method="fast", assume_regular_frequency=True)
    ours = lombscargle_fast(t, y / np.max(np.abs(y)), df, k_first, k_last)
    return {"kic": request.param, "prepared": prepared, "t": t, "y": y, "ls": ls, "grid": grid,
            "df": df, "reference": reference, "ours": ours,
            "features": compute_domain("frequency", prepared).values}


def test_real_periodogram_equals_astropy(real_periodogram):
    rp = real_periodogram
    grid, reference, ours = rp["grid"], rp["reference"], rp["ours"]
    # First check the reference itself against astropy's exact sums: 150 random grid
    # frequencies and the 21 around the peak.
    peak = int(np.argmax(reference))
    idx = np.r_[np.random.default_rng(rp["kic"]).choice(grid.size, 150, replace=False),
                np.arange(max(0, peak - 10), peak + 11)]
    exact = rp["ls"].power(grid[idx], method="cython")
    assert np.max(np.abs(reference[idx] - exact)) < 1e-12
    assert np.max(np.abs(ours[idx] - exact)) < POWER_TOLERANCE
    # Then ours against the reference everywhere (175,000 frequencies for KIC 3342467).
    assert np.max(np.abs(ours - reference)) < POWER_TOLERANCE


def test_real_features_equal_those_of_the_astropy_periodogram(real_periodogram):
    rp = real_periodogram
    reference, grid, values = rp["reference"], rp["grid"], rp["features"]
    peak = int(np.argmax(reference))
    # Dominant period: the same grid frequency as astropy's maximum (exact period).
    assert values["freq_dominant_period"] == pytest.approx(1 / grid[peak], rel=1e-12)
    assert values["freq_dominant_power"] == pytest.approx(reference[peak], abs=POWER_TOLERANCE)
    median = np.median(reference)
    # SNR: the median power is >= 2e-7 here, so a 1e-8 error moves it by < 5%.
    assert values["freq_period_snr"] == pytest.approx(reference[peak] / median, rel=0.05)
    p = reference / reference.sum()
    entropy = -np.sum(p[p > 0] * np.log(p[p > 0])) / np.log(p.size)
    assert values["freq_spectral_entropy"] == pytest.approx(entropy, abs=1e-4)
    low = reference[grid < 1.0].sum() / reference.sum()
    assert values["freq_low_freq_power"] == pytest.approx(low, abs=1e-6)
    assert values["freq_high_freq_power"] == pytest.approx(1 - low, abs=1e-6)
    # Significant peaks with astropy's own Baluev level (fmax = the grid's last frequency).
    t = rp["t"]
    level = rp["ls"].false_alarm_level(
        frequency.FALSE_ALARM_LEVEL, method="baluev", minimum_frequency=grid[0],
        maximum_frequency=grid[-1], samples_per_peak=frequency.OVERSAMPLING)
    rises = np.r_[True, reference[1:] > reference[:-1]]
    is_max = rises & np.r_[reference[:-1] >= reference[1:], True]
    n_peaks = int(np.count_nonzero(is_max & (reference >= level)))
    borderline = int(np.count_nonzero(is_max & (np.abs(reference - level) < 1e-6 * level + 1e-8)))
    assert abs(values["freq_n_significant_peaks"] - n_peaks) <= borderline
    assert t.size > 1000 and n_peaks > 0
    # Coherence: power within 1/T (5 grid steps) of the peak over that within 10/T.
    core = reference[max(0, peak - 5) : peak + 6].sum()
    window = reference[max(0, peak - 50) : peak + 51].sum()
    assert values["freq_quasi_periodic_score"] == pytest.approx(core / window, rel=1e-6)


def test_real_harmonic_count_equals_statsmodels_ols(real_periodogram):
    """The harmonic fit by statsmodels' OLS on the same flux at the same frequency: a harmonic
    counts when its amplitude exceeds 4 x sqrt of the mean variance of its two coefficients."""
    import statsmodels.api as sm

    t, y = real_periodogram["t"], real_periodogram["y"]
    f = 1 / real_periodogram["features"]["freq_dominant_period"]
    phase = 2 * np.pi * f * (t - t.min())
    n_harm = 1 + sum(n * f <= frequency.MAX_FREQUENCY for n in (2, 3, 4))
    columns = [np.ones_like(t)]
    for n in range(1, n_harm + 1):
        columns += [np.cos(n * phase), np.sin(n * phase)]
    fit = sm.OLS(y, np.column_stack(columns)).fit()
    count = 0
    for n in range(2, n_harm + 1):
        a, b = fit.params[2 * n - 1], fit.params[2 * n]
        se = math.sqrt((fit.bse[2 * n - 1] ** 2 + fit.bse[2 * n] ** 2) / 2)
        count += math.hypot(a, b) > frequency.HARMONIC_SIGNIFICANCE * se
    assert real_periodogram["features"]["freq_harmonic_count"] == count


def test_dominant_periods_of_the_real_targets(real_periodogram):
    """The values themselves, as astropy finds them on this grid (its exact 'cython' sums over
    all 44,203 frequencies for KIC 10002792, 17 s; its low-rank NUFFT, checked against the
    exact sums above, for KIC 3342467), recorded so that a change of grid or cleaning shows.
    12.5 d is KOI-3278's dominant (spot-like) modulation; 122.8 d on two quarters of
    KIC 10002792 is the quarter-scale trend (flagged instrumental: 372.5 d / 3)."""
    kic, values = real_periodogram["kic"], real_periodogram["features"]
    expected = {3342467: 12.4956, 10002792: 122.80}[kic]
    assert values["freq_dominant_period"] == pytest.approx(expected, rel=1e-3)
    assert values["freq_is_instrumental_alias"] == {3342467: 0.0, 10002792: 1.0}[kic]


# --- synthetic signals with known answers ----------------------------------------------------


def sine_light_curve(period: float, days: float = 90.0, amplitude: float = 1e-3,
                     sigma: float = 1e-4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = kepler_time(days)
    noise = sigma * np.random.default_rng(seed).standard_normal(t.size)
    return t, 1 + amplitude * np.sin(2 * np.pi * t / period + 0.3) + noise


def test_sinusoid_of_known_period_and_amplitude():
    amplitude, sigma = 1e-3, 1e-4
    t = kepler_time(90.0)
    df, k_first, _, _ = grid_of(t)
    period = 1 / (37 * df)  # exactly on the grid (2.43 d): no loss between grid points
    t, y = sine_light_curve(period, amplitude=amplitude, sigma=sigma)
    result = frequency.frequency_features(t, y)
    values, reasons = result.values, result.null_reasons
    assert not reasons
    assert values["freq_dominant_period"] == pytest.approx(period, rel=1e-12)
    # Standard power at the signal frequency = explained variance fraction
    # (A^2 / 2) / (A^2 / 2 + sigma^2) = 0.980; noise moves it by ~1e-3.
    explained = amplitude**2 / 2 / (amplitude**2 / 2 + sigma**2)
    assert values["freq_dominant_power"] == pytest.approx(explained, abs=0.005)
    # Noise power at a frequency is (sigma^2 / (N var)) chi2_2: median 2 ln 2 sigma^2 / (N var).
    median = 2 * math.log(2) * sigma**2 / (t.size * (amplitude**2 / 2 + sigma**2))
    assert values["freq_period_snr"] == pytest.approx(explained / median, rel=0.2)
    assert values["freq_harmonic_count"] == 0.0
    assert values["freq_is_instrumental_alias"] == 0.0


@pytest.mark.parametrize("period", [0.37, 4.3, 21.0])
def test_off_grid_period_is_found_within_half_a_grid_step(period):
    t, y = sine_light_curve(period)
    values = frequency.frequency_features(t, y).values
    df = grid_of(t)[0]
    assert abs(1 / values["freq_dominant_period"] - 1 / period) <= df / 2 + 1e-12
    # Between grid points a line loses at most 1 - sinc^2(pi / 10) = 3.2% of its power.
    assert values["freq_dominant_power"] > 0.980 * (1 - 0.033) - 0.005


def test_white_noise_has_no_significant_peak_and_a_flat_spectrum():
    t = kepler_time(90.0)
    y = 1 + 1e-4 * np.random.default_rng(3).standard_normal(t.size)
    values = frequency.frequency_features(t, y).values
    # The highest of all peaks reaches the 1% false-alarm level with probability 1%.
    assert values["freq_n_significant_peaks"] == 0.0
    # Periodogram values of white noise are ~ exponential: for p_i = X_i / sum X with
    # X ~ Exp(1), -sum p ln p = ln Nf - E[X ln X] = ln Nf - (1 - gamma_Euler).
    n_freq = grid_of(t)[3].size
    expected = 1 - (1 - np.euler_gamma) / math.log(n_freq)  # 0.9545
    assert values["freq_spectral_entropy"] == pytest.approx(expected, abs=0.005)
    # Flat spectrum: the power below 1 d^-1 is the fraction of grid frequencies below it.
    assert values["freq_low_freq_power"] == pytest.approx((1 - 1 / 90) / (24 - 1 / 90), abs=0.01)
    assert values["freq_quasi_periodic_score"] < 0.5


def test_harmonics_present_for_a_sawtooth_absent_for_a_sine():
    t = kepler_time(90.0)
    noise = 1e-4 * np.random.default_rng(4).standard_normal(t.size)
    saw = 1 + 1e-3 * sawtooth(2 * np.pi * t / 5.0) + noise  # harmonics n with amplitude 1/n
    sine = 1 + 1e-3 * np.sin(2 * np.pi * t / 5.0) + noise
    assert frequency.frequency_features(t, saw).values["freq_harmonic_count"] == 3.0
    assert frequency.frequency_features(t, sine).values["freq_harmonic_count"] == 0.0
    # Noise-free sine: the harmonics are pure rounding, not counted.
    assert frequency.frequency_features(t, 1 + 1e-3 * np.sin(2 * np.pi * t / 5.0)).values[
        "freq_harmonic_count"] == 0.0
    # f = 10 d^-1: only 2f is below 24 d^-1, so at most one harmonic can count.
    fast_saw = 1 + 1e-3 * sawtooth(2 * np.pi * t / 0.1) + noise
    assert frequency.frequency_features(t, fast_saw).values["freq_harmonic_count"] == 1.0


def test_coherence_of_a_pure_sine_is_the_main_lobe_fraction():
    t, y = sine_light_curve(3.0, days=360.0)
    values = frequency.frequency_features(t, y).values
    # Uniform sampling: the peak is sinc^2(pi (f - f0) T); power within 1/T over within 10/T.
    def sinc2(x: float) -> float:
        return np.sinc(x) ** 2
    expected = integrate.quad(sinc2, -1, 1)[0] / integrate.quad(sinc2, -10, 10, limit=200)[0]
    assert values["freq_quasi_periodic_score"] == pytest.approx(expected, abs=0.02)  # 0.912


@pytest.mark.parametrize("coherence_days", [2.0, 5.0])
def test_random_phase_signal_is_less_coherent_than_a_sine(coherence_days):
    """A sinusoid whose phase diffuses (coherence time tau: <exp(i(phi(t) - phi(0)))> =
    exp(-t / tau)) has a Lorentzian peak of width 1 / (pi tau) >> 1 / T."""
    t = kepler_time(360.0)
    rng = np.random.default_rng(5)
    phase = np.cumsum(rng.standard_normal(t.size) * math.sqrt(2 * KEPLER_CADENCE / coherence_days))
    noise = 1e-4 * rng.standard_normal(t.size)
    quasi = 1 + 1e-3 * np.sin(2 * np.pi * t / 3.0 + phase) + noise
    pure = 1 + 1e-3 * np.sin(2 * np.pi * t / 3.0) + noise
    quasi_score = frequency.frequency_features(t, quasi).values["freq_quasi_periodic_score"]
    pure_score = frequency.frequency_features(t, pure).values["freq_quasi_periodic_score"]
    assert pure_score > 0.85
    assert quasi_score < 0.5
    assert quasi_score < pure_score - 0.4


def test_low_and_high_power_split_at_one_per_day():
    t = kepler_time(90.0)
    noise = 1e-5 * np.random.default_rng(6).standard_normal(t.size)
    slow = frequency.frequency_features(t, 1 + 1e-3 * np.sin(2 * np.pi * t / 5.0) + noise).values
    fast = frequency.frequency_features(t, 1 + 1e-3 * np.sin(2 * np.pi * t / 0.2) + noise).values
    assert slow["freq_low_freq_power"] > 0.95 and slow["freq_power_ratio"] > 10
    assert fast["freq_high_freq_power"] > 0.95 and fast["freq_power_ratio"] < 0.1


# --- significance level ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [20, 300, 4400, 65_000])
def test_baluev_level_equals_astropy(n):
    rng = np.random.default_rng(n)
    t = np.sort(rng.uniform(0, 90, n))
    y = rng.standard_normal(n)
    ls = astropy_ls(t, y)
    df, k_first, k_last, grid = grid_of(t)
    # astropy puts fmax on its own grid; use the same grid so both see the same fmax.
    kwargs = dict(minimum_frequency=grid[0], maximum_frequency=grid[-1],
                  samples_per_peak=frequency.OVERSAMPLING)
    fmax = ls.autofrequency(return_freq_limits=True, **kwargs)[1]
    assert fmax == pytest.approx(grid[-1], rel=1e-12)
    z = frequency.significance_threshold(0.01, n, fmax, float(np.var(t)))
    for power in (0.5 * z, z, 1.2 * z):
        ours = frequency.baluev_false_alarm_probability(power, n, fmax, float(np.var(t)))
        theirs = ls.false_alarm_probability(power, method="baluev", **kwargs)
        assert ours == pytest.approx(theirs, rel=1e-9)
    # astropy inverts by a least-squares root finder: agreement to its tolerance.
    assert z == pytest.approx(ls.false_alarm_level(0.01, method="baluev", **kwargs), rel=1e-5)


# --- instrumental periods --------------------------------------------------------------------


def test_instrumental_periods_are_documented_and_on_the_grid():
    assert len(frequency.INSTRUMENTAL_PERIODS) >= 6
    for entry in frequency.INSTRUMENTAL_PERIODS:
        assert entry.reference and entry.name and entry.harmonics
        # Each can be a dominant period of a Kepler grid (1/24 d .. 1,470 d) ...
        assert entry.period / max(entry.harmonics) > 1 / frequency.MAX_FREQUENCY
        assert entry.period <= 1470
    # ... while the long cadence (and twice it) cannot: 60 min > 2 x 29.4244 min.
    assert 1 / frequency.MAX_FREQUENCY > 2 * 29.4244 / 1440


@pytest.mark.parametrize(("period", "quarters", "flagged"), [
    (3.0, None, True), (3.0 * 1.019, None, True), (3.0 * 1.03, None, False),
    (1.5, None, True),  # momentum-dump harmonic
    (3.5, None, True), (93.125 / 2, None, True), (372.5, None, True), (4.3, None, False),
    (3.2 / 24, {1, 2}, True), (3.2 / 24, {10, 11}, False),  # heater cycle only in Q1-Q3
    (18.3, {2}, True), (18.3, {5}, False),  # guide-star binary only in Q0-Q2
])
def test_is_instrumental(period, quarters, flagged):
    assert frequency.is_instrumental(period, baseline=1400.0, quarters=quarters) is flagged


def test_a_three_day_signal_is_flagged_end_to_end():
    t, y = sine_light_curve(3.0)
    assert frequency.frequency_features(t, y).values["freq_is_instrumental_alias"] == 1.0
    t, y = sine_light_curve(4.3)
    assert frequency.frequency_features(t, y).values["freq_is_instrumental_alias"] == 0.0


# --- real data, determinism, speed, NULL policy ----------------------------------------------


@pytest.mark.parametrize("target", ["kepler10", "flare_star", "faint_star"])
def test_real_targets_have_no_nulls(request, target):
    result = compute_domain("frequency", Prepared(request.getfixturevalue(target)))
    assert list(result.values) == list(NAMES)
    assert all(v is not None and math.isfinite(v) for v in result.values.values())


def test_flare_star_rotation_period(flare_star):
    # GJ 1243 rotates in 0.5927 d (Savanov & Dmitrienko 2011; Hawley et al. 2014).
    values = compute_domain("frequency", Prepared(flare_star)).values
    assert values["freq_dominant_period"] == pytest.approx(0.5927, rel=0.005)


_SUBPROCESS = """
import sys
import numpy as np
from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import compute_domain
from lcfeat.lightcurve import LightCurve
arrays = np.load(sys.argv[1])
lc = LightCurve(kepler_id=1, time=arrays["time"], flux=arrays["flux"],
                flux_err=arrays["flux_err"], quarter=arrays["quarter"])
for domain in ("frequency", "residual"):
    print(repr(compute_domain(domain, Prepared(lc)).values))
"""


def test_same_output_bit_for_bit_across_processes_and_threads(kepler10, tmp_path):
    here = [repr(compute_domain(domain, Prepared(kepler10)).values)
            for domain in ("frequency", "residual")]
    arrays = tmp_path / "kepler10.npz"
    np.savez(arrays, time=kepler10.time, flux=kepler10.flux, flux_err=kepler10.flux_err,
             quarter=kepler10.quarter)
    # This process uses the default thread counts (one per core); the other a single thread.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMBA_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _SUBPROCESS, str(arrays)], env=env,
                         check=True, capture_output=True, text=True).stdout
    assert out.splitlines() == here


def test_long_baselines_are_null_not_a_hang():
    t = np.array([0.0, 1.0, 2.0, 1e6] * 5).cumsum()
    result = frequency.frequency_features(np.sort(t), np.arange(t.size) % 3 + 1.0)
    values, reasons = result.values, result.null_reasons
    assert all(v is None for v in values.values())
    assert "baseline" in reasons["freq_dominant_period"]


@pytest.mark.filterwarnings("ignore:The trend is zero or negative:UserWarning")
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lc=hostile_light_curves())
def test_hostile_input_gives_finite_values_or_explained_nulls(lc):
    with np.errstate(all="raise"):  # a floating-point warning escaping compute fails
        result = compute_domain("frequency", Prepared(lc))
    assert_policy("frequency", result)


@pytest.mark.parametrize("case", NAMED_BAD_CASES)
def test_named_bad_cases(case):
    flux = named_bad_flux(case)
    result = compute_domain("frequency", Prepared(make_light_curve(flux)))
    assert_policy("frequency", result)
    if case != "huge outliers":
        assert all(v is None for v in result.values.values())
    else:
        assert result.values["freq_dominant_period"] is not None
