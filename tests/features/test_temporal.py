"""Temporal domain against known processes, statsmodels and the files' own cadence numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from scipy import stats
from scipy.special import gammaln
from statsmodels.tsa.stattools import acf, adfuller

from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import compute_domain, names_in
from lcfeat.lightcurve import quality_bitmask

NAMES = names_in("temporal")
LAGS = {"temp_autocorr_1hr": 2, "temp_autocorr_1day": 49, "temp_autocorr_1week": 343}
KEPLER_CADENCE = 0.0204336
REAL_TARGETS = ["kic3342467", "kepler10", "flare_star", "faint_star"]


def ar1(n: int, phi: float, seed: int) -> np.ndarray:
    """AR(1) x_t = phi x_{t-1} + e_t, started from its stationary distribution."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0] / math.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def bartlett_sd(phi: float, k: int, n: int) -> float:
    """Large-sample sd of the lag-k sample autocorrelation of an AR(1) (Bartlett 1946)."""
    var = ((1 + phi**2) * (1 - phi ** (2 * k)) / (1 - phi**2) - 2 * k * phi ** (2 * k)) / n
    return math.sqrt(var)


def values_of(lc) -> dict:
    return compute_domain("temporal", Prepared(lc)).values


# --- sampling -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", REAL_TARGETS)
def test_sampling_on_real_data(target, request):
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    values = values_of(lc)
    assert values["temp_n_points"] == prepared.flux.size
    assert values["temp_duration_days"] == pytest.approx(lc.time[-1] - lc.time[0], rel=1e-12)
    # Kepler long cadence is 29.4244 min (KSCI-19033); barycentric stamps vary by < 1e-4.
    assert values["temp_cadence_median"] == pytest.approx(29.4244 / 1440, rel=1e-4)
    steps = np.diff(prepared.time)
    assert values["temp_cadence_std"] == pytest.approx(np.std(steps[steps <= 0.5]), rel=1e-9)


def test_cadence_statistics_of_a_known_grid(light_curve_from):
    """A grid with every 10th cadence missing: steps are 1 cadence (8 in 9) or 2 (1 in 9)."""
    t = 100 + KEPLER_CADENCE * np.arange(9000)
    t = t[np.arange(t.size) % 10 != 5]
    rng = np.random.default_rng(3)
    values = values_of(light_curve_from(1 + 1e-4 * rng.standard_normal(t.size), time=t))
    assert values["temp_cadence_median"] == pytest.approx(KEPLER_CADENCE, rel=1e-9)
    p = 1 / 9  # fraction of double steps, std of a two-valued variable = sqrt(p(1-p)) * gap
    assert values["temp_cadence_std"] == pytest.approx(
        math.sqrt(p * (1 - p)) * KEPLER_CADENCE, rel=1e-2)
    assert values["temp_duration_days"] == pytest.approx(t[-1] - t[0], rel=1e-12)


# --- autocorrelation ------------------------------------------------------------------------


def test_white_noise_has_no_autocorrelation(light_curve_from):
    """Tolerance 5/sqrt(N): the sd of a sample autocorrelation of white noise is 1/sqrt(N)."""
    n = 30_000
    flux = 1 + 1e-3 * np.random.default_rng(11).standard_normal(n)
    values = values_of(light_curve_from(flux))
    for name in LAGS:
        assert abs(values[name]) < 5 / math.sqrt(n), name


@pytest.mark.parametrize("phi", [0.9, 0.99])
def test_ar1_has_autocorrelation_phi_to_the_lag(phi, light_curve_from):
    """AR(1): rho_k = phi^k. Tolerance: 5 Bartlett standard deviations."""
    n = 40_000
    flux = 1 + 1e-4 * ar1(n, phi, seed=5)
    values = values_of(light_curve_from(flux))
    for name, k in LAGS.items():
        assert values[name] == pytest.approx(phi**k, abs=5 * bartlett_sd(phi, k, n)), name


def test_matches_statsmodels_acf_on_one_gapless_segment(light_curve_from):
    """statsmodels' acf divides by the sum over all N cadences instead of over the pairs:
    an O(k/N) difference, under 1% relative for k <= 343 and N = 40,000."""
    flux = 1 + 1e-4 * ar1(40_000, 0.99, seed=8)
    values = values_of(light_curve_from(flux))
    reference = acf(flux, nlags=343, fft=True)
    for name, k in LAGS.items():
        assert values[name] == pytest.approx(reference[k], rel=1e-2, abs=2e-3), name


def test_masked_cadences_do_not_shorten_the_lag(light_curve_from):
    """Drop 20% of an AR(1) at random: pairs are still exactly 2 cadences (58.8 min) apart,
    so the 1 h autocorrelation is still phi^2 = 0.81 (5 Bartlett sd on the 64% of pairs that
    survive), whereas the naive index lag mixes in 3-cadence pairs and falls outside that
    tolerance (checked, to show the test can tell the two apart)."""
    n, phi = 40_000, 0.9
    x = ar1(n, phi, seed=9)
    keep = np.random.default_rng(10).random(n) > 0.2
    t = 100 + KEPLER_CADENCE * np.arange(n)
    values = values_of(light_curve_from(1 + 1e-4 * x[keep], time=t[keep]))
    tolerance = 5 * bartlett_sd(phi, 2, int(0.64 * n))
    assert values["temp_autocorr_1hr"] == pytest.approx(phi**2, abs=tolerance)
    naive = np.corrcoef(x[keep][:-2], x[keep][2:])[0, 1]
    assert abs(naive - phi**2) > tolerance


def test_gaps_and_level_changes_do_not_fake_correlation(light_curve_from):
    """Two white-noise segments 10 sigma apart in level, separated by a 2-day gap: within each
    segment there is no correlation, and so the result is ~0 (5/sqrt(N)). Correlating the
    stitched series naively gives ~0.96 at every lag."""
    n = 10_000
    rng = np.random.default_rng(12)
    sigma = 1e-4
    flux = np.concatenate([1.0 + sigma * rng.standard_normal(n),
                           1.0 + 10 * sigma + sigma * rng.standard_normal(n)])
    t = np.concatenate([100 + KEPLER_CADENCE * np.arange(n),
                        100 + KEPLER_CADENCE * (n - 1) + 2.0 + KEPLER_CADENCE * np.arange(n)])
    values = values_of(light_curve_from(flux, time=t))
    for name, k in LAGS.items():
        assert abs(values[name]) < 5 / math.sqrt(2 * n), name
        assert np.corrcoef(flux[:-k], flux[k:])[0, 1] > 0.9


def cadence_numbers(files, quality="default") -> np.ndarray:
    """CADENCENO of the cadences read_quarter keeps, straight from the FITS tables."""
    bitmask = quality_bitmask(quality)
    out = []
    for path in files:
        with fits.open(path, memmap=False) as hdul:
            data = hdul["LIGHTCURVE"].data
            keep = ((np.asarray(data["SAP_QUALITY"]) & bitmask) == 0)
            keep &= np.isfinite(data["TIME"]) & np.isfinite(data["PDCSAP_FLUX"])
            out.append(np.asarray(data["CADENCENO"], dtype=np.int64)[keep])
    return np.concatenate(out)


@pytest.mark.parametrize("kepler_id", [3342467, 11904151])
def test_autocorrelation_matches_a_cadence_number_reference(kepler_id, read_target,
                                                           bundled_files):
    """Real data: pairs found by the files' CADENCENO (not by times), segment by segment."""
    lc = read_target(kepler_id)
    prepared = Prepared(lc)
    cadence = cadence_numbers(bundled_files(kepler_id))[prepared.clean_mask]
    values = values_of(lc)
    flux, time = prepared.flux, prepared.time
    segment = np.concatenate(([0], np.cumsum(np.diff(time) > 0.5)))
    frame = pd.DataFrame({"segment": segment, "cadence": cadence, "flux": flux})
    frame["dev"] = frame["flux"] - frame.groupby("segment")["flux"].transform("mean")
    for name, k in LAGS.items():
        sab = saa = sbb = 0.0
        for _, group in frame.groupby("segment"):
            series = pd.Series(group["dev"].to_numpy(), index=group["cadence"].to_numpy())
            later = series.reindex(series.index + k).to_numpy()
            ok = np.isfinite(later)
            a, b = series.to_numpy()[ok], later[ok]
            sab, saa, sbb = sab + a @ b, saa + a @ a, sbb + b @ b
        assert values[name] == pytest.approx(sab / math.sqrt(saa * sbb), rel=1e-9), name


# --- Hurst exponent -------------------------------------------------------------------------


def anis_lloyd_rs(n: int) -> float:
    """Expected R/S of n white-noise values (Anis & Lloyd 1976)."""
    i = np.arange(1, n)
    return float(np.exp(gammaln((n - 1) / 2) - gammaln(n / 2)) / math.sqrt(math.pi)
                 * np.sum(np.sqrt((n - i) / i)))


def windows_for(n: int) -> list[int]:
    return [16 * 2**j for j in range(30) if 16 * 2**j <= n // 4]


def test_random_walk_hurst_matches_anis_lloyd(light_curve_from):
    """A random-walk flux has white-noise increments: H = 0.5 asymptotically, but R/S over
    windows 16..16384 is biased upward; the expected slope is that of log E[R/S] (Anis & Lloyd
    1976) against log n, 0.527 here. The tolerance 0.045 is 4 sd of the estimate (0.011,
    measured over 200 simulated walks of this length)."""
    n = 2**16 + 1
    steps = np.random.default_rng(21).standard_normal(n - 1)
    flux = 1 + 1e-5 * np.concatenate(([0.0], np.cumsum(steps)))
    windows = windows_for(n - 1)
    expected = np.polyfit(np.log(windows), np.log([anis_lloyd_rs(w) for w in windows]), 1)[0]
    assert expected == pytest.approx(0.527, abs=0.002)
    value = values_of(light_curve_from(flux))["temp_memory_coefficient"]
    assert value == pytest.approx(expected, abs=0.045)


def test_hurst_separates_anti_persistent_and_persistent(light_curve_from):
    """White-noise flux has anti-persistent increments (H well below 0.5); an integrated random
    walk has random-walk increments (H near 1)."""
    rng = np.random.default_rng(22)
    white = 1 + 1e-4 * rng.standard_normal(2**15)
    smooth = 1 + 1e-9 * np.cumsum(np.cumsum(rng.standard_normal(2**15)))
    assert values_of(light_curve_from(white))["temp_memory_coefficient"] < 0.2
    assert values_of(light_curve_from(smooth))["temp_memory_coefficient"] > 0.85


def brute_force_hurst(increments: np.ndarray) -> float:
    """Textbook R/S, one window at a time (Hurst 1951)."""
    windows = windows_for(increments.size)
    mean_rs = []
    for w in windows:
        ratios = []
        for start in range(0, increments.size - w + 1, w):
            x = increments[start:start + w]
            z = np.cumsum(x - x.mean())
            if x.std() > 0:
                ratios.append((z.max() - z.min()) / x.std())
        mean_rs.append(np.mean(ratios))
    return float(np.polyfit(np.log(windows), np.log(mean_rs), 1)[0])


@pytest.mark.parametrize("target", ["kepler10", "flare_star"])
def test_hurst_matches_brute_force_on_real_data(target, request):
    """Same definition, independent loop code: increments within segments, then R/S."""
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    segment = np.concatenate(([0], np.cumsum(np.diff(prepared.time) > 0.5)))
    increments = np.concatenate([np.diff(prepared.flux[segment == s])
                                 for s in np.unique(segment)])
    value = values_of(lc)["temp_memory_coefficient"]
    assert value == pytest.approx(brute_force_hurst(increments), rel=1e-9)


# --- trend and stationarity -----------------------------------------------------------------


def test_known_linear_trend(light_curve_from):
    """flux = 1 + b t + noise: R^2 from scipy.stats.linregress to rounding, and near the
    population value b^2 var(t) / (b^2 var(t) + sigma^2) = 0.5 (5 sd of R^2, ~0.01)."""
    n, sigma = 20_000, 1e-4
    t = 100 + KEPLER_CADENCE * np.arange(n)
    slope = sigma / np.std(t)  # makes the signal variance equal the noise variance
    flux = 1 + slope * (t - t[0]) + sigma * np.random.default_rng(4).standard_normal(n)
    value = values_of(light_curve_from(flux, time=t))["temp_trend_strength"]
    assert value == pytest.approx(stats.linregress(t, flux).rvalue ** 2, rel=1e-9)
    assert value == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("target", REAL_TARGETS)
def test_trend_matches_scipy_on_real_data(target, request):
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    expected = stats.linregress(prepared.time, prepared.flux).rvalue ** 2
    assert values_of(lc)["temp_trend_strength"] == pytest.approx(expected, rel=1e-8, abs=1e-15)


def daily_bins(time: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """Mean flux per 1 d bin counted from the first cadence, empty days left out (pandas)."""
    day = np.floor((time - time[0]) / 1.0)
    return pd.Series(flux).groupby(day).mean().to_numpy()


@pytest.mark.parametrize("target", REAL_TARGETS)
def test_stationarity_matches_statsmodels_adfuller(target, request):
    """statsmodels' adfuller (constant, AIC, max lag 12) on the same daily bins; the two OLS
    solvers (pinv vs QR) agree to ~1e-12 in the t statistic, so the p-values agree to 1e-7."""
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    binned = daily_bins(prepared.time, prepared.flux)
    max_lag = min(12, binned.size // 2 - 2)
    expected = adfuller(binned, maxlag=max_lag, regression="c", autolag="AIC",
                        result_object=True).pvalue
    value = values_of(lc)["temp_stationarity_pvalue"]
    assert value == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_stationarity_on_known_processes(light_curve_from):
    """Under the unit-root null the ADF p-value is uniform: of 40 random walks (200 daily
    values each), about 2 have p < 0.05 (binomial: 8 or more has probability 2e-4) and the mean
    p-value is 0.5 (sd of a mean of 40 uniforms: 0.046, so 0.3..0.7 is over 4 sd). A stationary
    AR(1) with phi = 0.5 over 200 days gives t ~ -8: p < 0.01 every time."""
    t = 100 + KEPLER_CADENCE * np.arange(200 * 49)
    walk_p, ar_p = [], []
    for seed in range(40):
        walk = np.repeat(np.cumsum(np.random.default_rng(seed).standard_normal(200)), 49)
        walk_p.append(values_of(light_curve_from(1 + 1e-4 * walk, time=t))[
            "temp_stationarity_pvalue"])
        stationary = np.repeat(ar1(200, 0.5, seed), 49)
        ar_p.append(values_of(light_curve_from(1 + 1e-4 * stationary, time=t))[
            "temp_stationarity_pvalue"])
    assert sum(p < 0.05 for p in walk_p) < 8
    assert 0.3 < np.mean(walk_p) < 0.7
    assert max(ar_p) < 0.01
    reference = adfuller(daily_bins(t, 1 + 1e-4 * walk), maxlag=12, autolag="AIC",
                         result_object=True).pvalue
    assert walk_p[-1] == pytest.approx(reference, rel=1e-7)


# --- NULL policy and determinism ------------------------------------------------------------


def test_constant_flux_nulls_with_reasons(light_curve_from):
    result = compute_domain("temporal", Prepared(light_curve_from(np.full(5000, 1.0))))
    for name in (*LAGS, "temp_memory_coefficient", "temp_trend_strength",
                 "temp_stationarity_pvalue"):
        assert result.values[name] is None, name
        assert result.null_reasons[name], name
    assert result.values["temp_n_points"] == 5000


def test_three_points(light_curve_from):
    result = compute_domain("temporal", Prepared(light_curve_from(np.array([1.0, 1.001, 0.999]))))
    assert result.values["temp_n_points"] == 3
    assert result.values["temp_trend_strength"] == pytest.approx(
        stats.linregress(100 + KEPLER_CADENCE * np.arange(3), [1.0, 1.001, 0.999]).rvalue ** 2)
    for name in (*LAGS, "temp_memory_coefficient", "temp_stationarity_pvalue"):
        assert result.values[name] is None and result.null_reasons[name], name
