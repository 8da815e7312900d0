"""Residual domain against statsmodels, analytic values and brute-force Lempel-Ziv.

References that do not come from lcfeat: statsmodels' runs test, Ljung-Box test and ACF on the
same residuals; the Gaussian bin probabilities of the entropy histogram; the Lempel-Ziv
complexity straight from its definition and by Kaspar & Schuster's scan (both written here).
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.sandbox.stats.runs import runstest_1samp
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.stattools import acf

from lcfeat.features import residual
from lcfeat.features.prepared import RESIDUAL_DETREND_WINDOW_DAYS, Prepared
from lcfeat.features.registry import compute_domain, names_in
from tests.features.conftest import KEPLER_CADENCE, assert_policy, make_light_curve
from tests.features.frequency_residual_strategies import (
    NAMED_BAD_CASES,
    hostile_light_curves,
    named_bad_flux,
)

NAMES = names_in("residual")


# --- Lempel-Ziv references -------------------------------------------------------------------


def lz76_by_definition(bits: str) -> int:
    """Lempel & Ziv 1976: each component is the shortest prefix of the rest that is not a
    substring of everything before its last symbol; an unfinished last component counts."""
    count, start, n = 0, 0, len(bits)
    while start < n:
        length = 1
        while start + length <= n and bits[start : start + length] in bits[: start + length - 1]:
            length += 1
        count += 1
        start += length
    return count


def lz76_kaspar_schuster(s: str) -> int:
    """Kaspar & Schuster 1987 (Phys. Rev. A 36, 842), the usual scan, O(n^2) in general."""
    n = len(s)
    if n <= 1:
        return n
    c, l, i, k, k_max = 1, 1, 0, 1, 1
    while True:
        if s[i + k - 1] == s[l + k - 1]:
            k += 1
            if l + k > n:
                c += 1
                break
        else:
            k_max = max(k, k_max)
            i += 1
            if i == l:
                c += 1
                l += k_max
                if l + 1 > n:
                    break
                i, k, k_max = 0, 1, 1
            else:
                k = 1
    return c


def as_bits(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8) - ord("0")


def test_lempel_ziv_of_the_kaspar_schuster_example():
    # Kaspar & Schuster 1987, sect. II: 0001101001000101 = 0.001.10.100.1000.101, c = 6.
    assert lz76_by_definition("0001101001000101") == 6
    assert residual.lempel_ziv_complexity(as_bits("0001101001000101")) == 6


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="01", max_size=300))
def test_lempel_ziv_equals_brute_force_exactly(text):
    expected = lz76_by_definition(text)
    assert lz76_kaspar_schuster(text) == expected
    assert residual.lempel_ziv_complexity(as_bits(text)) == expected


@pytest.mark.parametrize("period", [1, 2, 3, 7, 50])
def test_lempel_ziv_of_periodic_bits_is_near_zero(period):
    pattern = np.random.default_rng(period).integers(0, 2, period)
    bits = np.tile(pattern, 70_000 // period + 1)[:70_000].astype(np.uint8)
    # A periodic sequence has at most period + 2 components: c log2(n) / n < 1e-2.
    assert residual.lempel_ziv_complexity(bits) <= period + 2
    assert residual.normalised_lempel_ziv(bits) < 1e-2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lempel_ziv_of_random_bits_is_near_one(seed):
    bits = np.random.default_rng(seed).integers(0, 2, 70_000).astype(np.uint8)
    # c -> n / log2(n) for random bits (Lempel & Ziv 1976); at n = 70,000 the finite-size
    # excess is 1-3% (measured 1.015-1.018 over seeds), well inside 5%.
    assert residual.normalised_lempel_ziv(bits) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("kind", ["random", "zeros", "alternating", "period 1000"])
def test_lempel_ziv_of_70000_bits_is_fast(kind):
    rng = np.random.default_rng(7)
    bits = {
        "random": rng.integers(0, 2, 70_000),
        "zeros": np.zeros(70_000, dtype=np.int64),
        "alternating": np.arange(70_000) % 2,
        "period 1000": np.tile(rng.integers(0, 2, 1000), 70),
    }[kind].astype(np.uint8)
    residual.lempel_ziv_complexity(bits[:10])  # compile outside the timing
    started = time.perf_counter()
    residual.lempel_ziv_complexity(bits)
    # Linear: a few ms. The old O(N^3) version took 25 minutes; 2 s is a generous bound.
    assert time.perf_counter() - started < 2.0


# --- tests of whiteness against statsmodels --------------------------------------------------


def ar1(n: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0]
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


@pytest.mark.parametrize(("n", "phi", "seed"), [
    (3000, 0.0, 1), (3000, 0.03, 2), (3000, -0.04, 3), (3000, 0.5, 4),
    (30, 0.0, 5), (49, 0.3, 6), (50, 0.3, 7),  # the continuity correction below 50 points
])
def test_runs_and_ljung_box_pvalues_equal_statsmodels(n, phi, seed):
    x = ar1(n, phi, seed)
    _, runs_p = runstest_1samp(x, cutoff="median", correction=True)
    ljung_box_p = acorr_ljungbox(x, lags=[10])["lb_pvalue"].iloc[0]
    # Same formulae on the same numbers: equal to rounding.
    assert residual.runs_test_pvalue(x) == pytest.approx(runs_p, rel=1e-9, abs=1e-300)
    assert residual.ljung_box_pvalue(x) == pytest.approx(ljung_box_p, rel=1e-9, abs=1e-300)


def test_runs_test_of_a_single_run_equals_statsmodels():
    x = np.r_[np.zeros(10), np.ones(30)]  # x >= median everywhere: one run
    assert residual.runs_test_pvalue(x) == runstest_1samp(x, cutoff="median")[1]


@pytest.mark.parametrize("target", ["kepler10", "faint_star", "flare_star"])
def test_real_residual_tests_equal_statsmodels(request, target):
    prepared = Prepared(request.getfixturevalue(target))
    r, t = prepared.residuals, prepared.residual_time
    result = compute_domain("residual", prepared)
    assert result.values["resid_run_test_pvalue"] == pytest.approx(
        runstest_1samp(r, cutoff="median")[1], rel=1e-9, abs=1e-300)
    assert result.values["resid_ljung_box_pvalue"] == pytest.approx(
        acorr_ljungbox(r, lags=[10])["lb_pvalue"].iloc[0], rel=1e-9, abs=1e-300)
    assert result.values["resid_after_detrend_std"] == pytest.approx(np.std(r), rel=1e-12)
    assert result.values["resid_power_ratio"] == pytest.approx(
        np.var(r) / np.var(prepared.flux), rel=1e-12)
    # Lag 1 within segments = statsmodels' r_1 minus the pairs that straddle a gap.
    d = r - r.mean()
    straddling = np.flatnonzero(np.diff(t) > 0.5)
    across_gaps = np.sum(d[straddling] * d[straddling + 1]) / np.sum(d * d)
    expected = acf(r, nlags=1, fft=False)[1] - across_gaps
    assert result.values["resid_after_detrend_autocorr"] == pytest.approx(expected, abs=1e-12)


# --- white noise and known signals -----------------------------------------------------------


def test_white_noise_residuals_of_known_sigma():
    # 5,000 points: statsmodels' Ljung-Box takes O(n^2) (np.correlate, fft=False).
    n, sigma = 5_000, 1e-3
    noise = sigma * np.random.default_rng(21).standard_normal(n)
    t = 100 + KEPLER_CADENCE * np.arange(n)
    result = residual.residual_features(noise, t, 1 + noise)
    values, reasons = result.values, result.null_reasons
    assert not reasons
    # std: standard error sigma / sqrt(2n); 4 standard errors.
    standard_error = sigma / math.sqrt(2 * n)
    assert values["resid_after_detrend_std"] == pytest.approx(sigma, abs=4 * standard_error)
    # r_1 of white noise is N(0, 1/n): within 3 / sqrt(n).
    assert abs(values["resid_after_detrend_autocorr"]) < 3 / math.sqrt(n)
    assert values["resid_run_test_pvalue"] == pytest.approx(
        runstest_1samp(noise, cutoff="median")[1], rel=1e-9)
    assert values["resid_ljung_box_pvalue"] == pytest.approx(
        acorr_ljungbox(noise, lags=[10])["lb_pvalue"].iloc[0], rel=1e-9)
    # White: |r_1| ~ 0 and both p-values ~ uniform: the score averages 0.03.
    assert values["resid_structure_score"] < 0.15
    assert values["resid_power_ratio"] == pytest.approx(1.0, rel=1e-12)


def test_white_noise_through_the_biweight_detrending():
    """The full path: a 1-d biweight trend removed from white flux. Subtracting a local mean
    over W = 1 d / cadence = 49 cadences leaves var = sigma^2 (1 - 1/W) and r_k = -1/W."""
    n, sigma = 20_000, 1e-3
    flux = 1 + sigma * np.random.default_rng(12).standard_normal(n)
    result = compute_domain("residual", Prepared(make_light_curve(flux)))
    w = RESIDUAL_DETREND_WINDOW_DAYS / KEPLER_CADENCE
    expected_std = sigma * math.sqrt(1 - 1 / w)
    # 4 standard errors of the std, plus 1% for the biweight's efficiency below the mean's.
    assert result.values["resid_after_detrend_std"] == pytest.approx(
        expected_std, abs=4 * sigma / math.sqrt(2 * n) + 0.01 * sigma)
    assert result.values["resid_after_detrend_autocorr"] == pytest.approx(
        -1 / w, abs=3 / math.sqrt(n))


def test_correlated_residuals_score_high():
    x = 1e-3 * ar1(5000, 0.9, 13)
    t = 100 + KEPLER_CADENCE * np.arange(x.size)
    values = residual.residual_features(x, t, 1 + x).values
    assert values["resid_after_detrend_autocorr"] == pytest.approx(0.9, abs=0.03)
    assert values["resid_ljung_box_pvalue"] < 1e-10
    assert values["resid_run_test_pvalue"] < 1e-10
    # (0.9 + 1 + 1) / 3
    assert values["resid_structure_score"] > 0.95


def test_entropy_of_gaussian_residuals_matches_the_analytic_histogram():
    x = np.random.default_rng(14).standard_normal(65_000)
    edges = np.linspace(-5, 5, residual.ENTROPY_BINS + 1)
    cdf = stats.norm.cdf(edges)
    cdf[0], cdf[-1] = 0.0, 1.0  # outside values go to the end bins
    p = np.diff(cdf)
    expected = -np.sum(p * np.log2(p))  # 3.731 bits
    # Sampling: the robust sigma has a relative error ~0.5% (dH = 1.44 bit per unit relative
    # scale change: 0.007 bit), plug-in bias 31 / (2 n ln 2) = 3e-4: 0.03 bit is > 4 sigma.
    assert residual.histogram_entropy(x) == pytest.approx(expected, abs=0.03)


def test_entropy_puts_outliers_in_the_end_bins():
    x = np.r_[np.random.default_rng(15).standard_normal(1000), 1e300, -1e300, np.inf]
    counts = residual._bin_counts((x - np.median(x)) / 1.0, 32, 5.0)
    assert counts.sum() == x.size
    assert counts[0] >= 1 and counts[-1] >= 2


def test_slow_variability_is_removed_power_ratio():
    sigma, amplitude = 1e-3, 5e-3
    t = 100 + KEPLER_CADENCE * np.arange(4400)
    noise = sigma * np.random.default_rng(16).standard_normal(t.size)
    flux = 1 + amplitude * np.sin(2 * np.pi * t / 10) + noise
    result = compute_domain("residual", Prepared(make_light_curve(flux, time=t)))
    w = RESIDUAL_DETREND_WINDOW_DAYS / KEPLER_CADENCE
    # The 1-d biweight follows a 10-d sine; what remains is the noise: ratio =
    # sigma^2 (1 - 1/W) / (sigma^2 + A^2 / 2), within 5% (sampling, biweight efficiency).
    expected = sigma**2 * (1 - 1 / w) / (sigma**2 + amplitude**2 / 2)
    assert result.values["resid_power_ratio"] == pytest.approx(expected, rel=0.05)


# --- real data, determinism, speed, NULL policy ----------------------------------------------


@pytest.mark.parametrize("target", ["kic3342467", "kepler10", "flare_star", "faint_star"])
def test_real_targets_have_no_nulls(request, target):
    result = compute_domain("residual", Prepared(request.getfixturevalue(target)))
    assert list(result.values) == list(NAMES)
    assert all(v is not None and math.isfinite(v) for v in result.values.values())
    assert not result.null_reasons


@pytest.fixture
def one_numba_thread():
    """wotan's biweight runs numba parallel regions; on a busy 2-core machine their threads
    wait for each other (0.1 s per call instead of 5 ms). One thread, as a pool worker runs."""
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(previous)


@pytest.mark.filterwarnings("ignore:The trend is zero or negative:UserWarning")
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(lc=hostile_light_curves())
def test_hostile_input_gives_finite_values_or_explained_nulls(one_numba_thread, lc):
    with np.errstate(all="raise"):  # a floating-point warning escaping compute fails
        result = compute_domain("residual", Prepared(lc))
    assert_policy("residual", result)


@pytest.mark.parametrize("case", NAMED_BAD_CASES)
def test_named_bad_cases(case):
    flux = named_bad_flux(case)
    result = compute_domain("residual", Prepared(make_light_curve(flux)))
    assert_policy("residual", result)
    if case in ("empty", "three points"):
        assert all(v is None for v in result.values.values())
    if case == "constant":
        assert result.values["resid_after_detrend_std"] == 0.0
        assert result.values["resid_complexity"] is None
