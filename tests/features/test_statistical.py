"""Statistical domain against scipy.stats / numpy on real Kepler data and known distributions."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import compute_domain, names_in

NAMES = names_in("statistical")
REAL_TARGETS = ["kic3342467", "kepler10", "flare_star", "faint_star"]


def scipy_reference(flux: np.ndarray) -> dict[str, float]:
    """Every statistical feature from scipy.stats / numpy, as the registry defines it."""
    return {
        "stat_mean": np.mean(flux),
        "stat_median": np.median(flux),
        "stat_std": np.std(flux),
        "stat_variance": np.var(flux),
        "stat_mad": stats.median_abs_deviation(flux, scale="normal"),
        "stat_range": np.ptp(flux),
        "stat_iqr": stats.iqr(flux),
        "stat_skewness": stats.skew(flux, bias=True),
        "stat_kurtosis": stats.kurtosis(flux, fisher=True, bias=True),
        "stat_percentile_5": np.percentile(flux, 5),
        "stat_percentile_95": np.percentile(flux, 95),
        "stat_beyond_1sigma": np.mean(np.abs(flux - np.mean(flux)) > np.std(flux)),
    }


@pytest.mark.parametrize("target", REAL_TARGETS)
def test_matches_scipy_on_real_data(target, request):
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    result = compute_domain("statistical", prepared)
    assert set(result.values) == set(NAMES)
    assert result.null_reasons == {}
    expected = scipy_reference(prepared.flux)
    for name in NAMES:
        # Same formulas, different summation order: agreement to float64 rounding (relative
        # 1e-9 leaves room for the ~N * eps error of sums over 65,000 values). Skewness can be
        # near zero, hence the absolute floor.
        assert result.values[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name


def test_white_noise_of_known_sigma(light_curve_from):
    """Gaussian noise, sigma = 1e-3: every feature near its population value.

    Tolerances are 5 standard errors of each estimator for N = 40,000 (normal theory):
    sd(std) = sigma/sqrt(2N), sd(MAD sigma) = 1.166 sigma/sqrt(N), sd(skew) = sqrt(6/N),
    sd(kurtosis) = sqrt(24/N), sd(p-quantile) = sqrt(p(1-p)/N)/pdf(z_p) sigma.
    """
    n, sigma = 40_000, 1e-3
    flux = 1.0 + sigma * np.random.default_rng(7).standard_normal(n)
    values = compute_domain("statistical", Prepared(light_curve_from(flux))).values
    se = sigma / math.sqrt(n)

    def quantile_se(p: float) -> float:
        return math.sqrt(p * (1 - p)) / stats.norm.pdf(stats.norm.ppf(p)) * se

    assert values["stat_mean"] == pytest.approx(1.0, abs=5 * se)
    assert values["stat_median"] == pytest.approx(1.0, abs=5 * quantile_se(0.5))
    assert values["stat_std"] == pytest.approx(sigma, abs=5 * sigma / math.sqrt(2 * n))
    assert values["stat_variance"] == pytest.approx(sigma**2, rel=5 * math.sqrt(2 / n))
    assert values["stat_mad"] == pytest.approx(sigma, abs=5 * 1.166 * se)
    z95 = stats.norm.ppf(0.95)
    assert values["stat_percentile_5"] == pytest.approx(1 - z95 * sigma, abs=5 * quantile_se(0.05))
    assert values["stat_percentile_95"] == pytest.approx(1 + z95 * sigma, abs=5 * quantile_se(0.95))
    iqr = 2 * stats.norm.ppf(0.75) * sigma
    assert values["stat_iqr"] == pytest.approx(iqr, abs=10 * quantile_se(0.75))
    assert values["stat_skewness"] == pytest.approx(0.0, abs=5 * math.sqrt(6 / n))
    assert values["stat_kurtosis"] == pytest.approx(0.0, abs=5 * math.sqrt(24 / n))
    p_beyond = 2 * stats.norm.sf(1.0)  # 0.3173
    assert values["stat_beyond_1sigma"] == pytest.approx(
        p_beyond, abs=5 * math.sqrt(p_beyond * (1 - p_beyond) / n))
    # The range of N Gaussians is about 2 sqrt(2 ln N) sigma = 9.2 sigma; loose on purpose.
    assert 7 * sigma < values["stat_range"] < 11 * sigma


def test_uniform_distribution_exact_moments(light_curve_from):
    """A uniform grid on [1 - a, 1 + a] (sorted, so no cadence looks like a cosmic ray):
    skewness 0 and excess kurtosis -6/5 (population values; the grid of 20,001 points is within
    1e-3 of them), MAD sigma 1.4826 a/2, IQR a, percentiles exactly linear."""
    a = 1e-3
    flux = np.linspace(1 - a, 1 + a, 20_001)
    values = compute_domain("statistical", Prepared(light_curve_from(flux))).values
    assert values["stat_skewness"] == pytest.approx(0.0, abs=1e-9)
    assert values["stat_kurtosis"] == pytest.approx(-1.2, abs=1e-3)
    assert values["stat_mad"] == pytest.approx(a / 2 / stats.norm.ppf(0.75), rel=1e-9)
    assert values["stat_iqr"] == pytest.approx(a, rel=1e-9)
    assert values["stat_percentile_5"] == pytest.approx(1 - 0.9 * a, rel=1e-12)
    assert values["stat_range"] == pytest.approx(2 * a, rel=1e-9)
    assert values["stat_std"] == pytest.approx(2 * a / math.sqrt(12), rel=1e-3)


@pytest.mark.parametrize("target", ["kic3342467", "kepler10"])
@pytest.mark.parametrize("where", [1 / 3, 1 / 2, 2 / 3])
def test_a_cosmic_ray_does_not_blow_up_kurtosis(target, where, request):
    """A single +1000 sigma spike barely moves stat_kurtosis and stat_skewness.

    Prepared drops the spike, so the only change left is the loss of one ordinary cadence out
    of N >= 4,000: O(1/N) in any moment, hence the stated bound of 0.01. On the raw flux the
    same spike dominates every moment and drives the kurtosis towards N - 3 (checked below, so
    the test can fail).
    """
    lc = request.getfixturevalue(target)
    before = compute_domain("statistical", Prepared(lc)).values
    sigma = before["stat_std"]
    flux = lc.flux.copy()
    i = int(where * flux.size)
    flux[i] += 1000 * sigma
    spiked = dataclasses.replace(lc, flux=flux)
    after = compute_domain("statistical", Prepared(spiked)).values
    assert abs(after["stat_kurtosis"] - before["stat_kurtosis"]) < 0.01
    assert abs(after["stat_skewness"] - before["stat_skewness"]) < 0.01
    assert stats.kurtosis(flux) - stats.kurtosis(lc.flux) > 1000  # what cleaning prevents


@pytest.mark.parametrize("target", ["kic3342467", "kepler10"])
def test_real_dips_are_kept(target, request):
    """Cleaning removes only positive outliers: each removed cadence lies above the median of
    its 9-cadence neighbourhood, the deepest cadence of the raw light curve is still there, and
    stat_range reaches down to it."""
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    values = compute_domain("statistical", prepared).values
    assert prepared.flux.min() == lc.flux.min()
    for i in np.flatnonzero(~prepared.clean_mask):
        assert lc.flux[i] > np.median(lc.flux[max(0, i - 4): i + 5])
    assert values["stat_range"] == pytest.approx(prepared.flux.max() - lc.flux.min(), rel=1e-12)


def test_kepler10_transits_survive_cleaning(kepler10):
    """Every cadence inside a Kepler-10 b transit (P = 0.8374907 d, T0 = BJD 2454964.57513,
    duration 1.81 h; Batalha et al. 2011) is kept, and the in-transit mean is ~150 ppm low."""
    prepared = Prepared(kepler10)
    period, epoch = 0.8374907, 2454964.57513 - 2454833.0
    phase = (kepler10.time - epoch + 0.5 * period) % period - 0.5 * period
    in_transit = np.abs(phase) < 0.5 * 1.81 / 24
    assert in_transit.sum() > 300
    assert prepared.clean_mask[in_transit].all()
    depth = 1 - kepler10.flux[in_transit].mean() / np.median(kepler10.flux[~in_transit])
    assert 100e-6 < depth < 250e-6


def test_constant_flux_gives_null_moments_with_reason(light_curve_from):
    result = compute_domain("statistical", Prepared(light_curve_from(np.full(500, 0.1))))
    assert result.values["stat_skewness"] is None
    assert result.values["stat_kurtosis"] is None
    assert "constant" in result.null_reasons["stat_skewness"]
    assert result.values["stat_std"] == pytest.approx(0.0, abs=1e-15)
    assert result.values["stat_mad"] == 0.0
    assert result.values["stat_beyond_1sigma"] == 0.0


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_points_is_null_with_reason(n, light_curve_from):
    result = compute_domain("statistical", Prepared(light_curve_from(np.ones(n) + np.arange(n))))
    assert all(v is None for v in result.values.values())
    assert set(result.null_reasons) == set(NAMES)


def test_three_points_are_exact(light_curve_from):
    flux = np.array([1.0, 1.001, 0.998])
    values = compute_domain("statistical", Prepared(light_curve_from(flux))).values
    expected = scipy_reference(flux)
    for name in NAMES:
        assert values[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-15), name


def test_huge_values_become_null_not_inf(light_curve_from):
    flux = np.ones(100)
    flux[::2] = 1e300
    flux[1::2] = -1e300
    result = compute_domain("statistical", Prepared(light_curve_from(flux)))
    for name, value in result.values.items():
        assert value is None or math.isfinite(value), name
        assert value is not None or result.null_reasons[name]
    assert result.values["stat_variance"] is None  # (1e300)^2 overflows: NULL, not inf
