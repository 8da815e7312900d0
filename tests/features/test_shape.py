"""Shape domain: known counts on constructed light curves, independent references on real data."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import compute_domain, names_in
from lcfeat.lightcurve.robust import robust_sigma

NAMES = names_in("shape")
REAL_TARGETS = ["kic3342467", "kepler10", "flare_star", "faint_star"]


def reference(flux: np.ndarray) -> dict[str, float]:
    """The registry's definitions, written with scipy and itertools.groupby."""
    median = np.median(flux)
    sigma = stats.median_abs_deviation(flux, scale="normal")
    signs = [int(s) for s in np.sign(flux - median)]
    runs = [(s, len(list(g))) for s, g in itertools.groupby(signs)]
    nonzero = [s for s in signs if s != 0]
    n_high = int(np.sum(flux > median + 3 * sigma))
    n_low = int(np.sum(flux < median - 3 * sigma))
    return {
        "shape_n_high_excursions": n_high,
        "shape_n_low_excursions": n_low,
        "shape_max_excursion_up": (flux.max() - median) / sigma,
        "shape_max_excursion_down": (median - flux.min()) / sigma,
        "shape_asymmetry": (n_high - n_low) / (n_high + n_low + 1),
        "shape_max_consecutive_up": max((n for s, n in runs if s > 0), default=0),
        "shape_max_consecutive_down": max((n for s, n in runs if s < 0), default=0),
        "shape_crossing_rate": sum(a != b for a, b in itertools.pairwise(nonzero))
        / (flux.size - 1),
    }


def constructed_light_curve() -> tuple[np.ndarray, dict[str, float]]:
    """Runs of +d and -d about 1 with a 12-cadence flare at +20 sigma and a 9-cadence dip at
    -15 sigma; every feature follows from the construction.

    Half the cadences are above 1 and half below, so the median is 1; every base cadence is
    d away from it and the excursions are fewer than half, so the MAD is d and the robust
    sigma 1.4826 d. The runs are built from a list of (sign, length).
    """
    d = 1e-4
    sigma = robust_sigma(np.array([-d, d]), 0.0)  # MAD_TO_SIGMA * d
    runs = [(+1, 7), (-1, 7)] * 30 + [(+1, 31), (-1, 5), (+1, 3), (-1, 29), (+1, 7), (-1, 7)]
    signs = np.concatenate([np.full(n, s) for s, n in runs]).astype(float)
    flux = 1 + d * signs
    starts = np.cumsum([0] + [n for _, n in runs])
    flare = slice(starts[60] + 10, starts[60] + 22)  # inside the 31-cadence run above
    dip = slice(starts[63] + 10, starts[63] + 19)  # inside the 29-cadence run below
    assert np.all(signs[flare] > 0) and np.all(signs[dip] < 0)
    flux[flare] = 1 + 20 * sigma
    flux[dip] = 1 - 15 * sigma
    expected = {
        "shape_n_high_excursions": 12,
        "shape_n_low_excursions": 9,
        "shape_max_excursion_up": 20.0,
        "shape_max_excursion_down": 15.0,
        "shape_asymmetry": (12 - 9) / (12 + 9 + 1),
        "shape_max_consecutive_up": 31,
        "shape_max_consecutive_down": 29,
        "shape_crossing_rate": (len(runs) - 1) / (signs.size - 1),
    }
    return flux, expected


def test_known_counts_on_a_constructed_light_curve(light_curve_from):
    flux, expected = constructed_light_curve()
    prepared = Prepared(light_curve_from(flux))
    assert prepared.flux.size == flux.size  # nothing looks like a cosmic ray here
    values = compute_domain("shape", prepared).values
    for name in NAMES:
        assert values[name] == pytest.approx(expected[name], rel=1e-9), name


@pytest.mark.parametrize("target", REAL_TARGETS)
def test_matches_reference_on_real_data(target, request):
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    result = compute_domain("shape", prepared)
    assert result.null_reasons == {}
    expected = reference(prepared.flux)
    for name in NAMES:
        assert result.values[name] == pytest.approx(expected[name], rel=1e-9), name


def test_white_noise_known_rates(light_curve_from):
    """Gaussian noise: P(> 3 sigma) = 0.00135 each side, a median crossing every other cadence
    (P = 1/2), asymmetry ~0. Tolerances: 5 binomial standard deviations."""
    n = 40_000
    flux = 1 + 1e-3 * np.random.default_rng(17).standard_normal(n)
    values = compute_domain("shape", Prepared(light_curve_from(flux))).values
    p = stats.norm.sf(3.0)
    for name in ("shape_n_high_excursions", "shape_n_low_excursions"):
        assert values[name] == pytest.approx(n * p, abs=5 * math.sqrt(n * p))
    assert values["shape_crossing_rate"] == pytest.approx(0.5, abs=5 * math.sqrt(0.25 / n))
    # Longest run of heads in n fair tosses: about log2(n / 2) = 14.3, sd ~1.9 (Schilling 1990).
    assert 8 <= values["shape_max_consecutive_up"] <= 25


@pytest.mark.parametrize("target", ["kic3342467", "kepler10"])
def test_real_dips_reach_the_shape_features(target, request):
    """The deepest raw cadence survives cleaning and sets shape_max_excursion_down."""
    lc = request.getfixturevalue(target)
    prepared = Prepared(lc)
    values = compute_domain("shape", prepared).values
    median = np.median(prepared.flux)
    sigma = stats.median_abs_deviation(prepared.flux, scale="normal")
    assert values["shape_max_excursion_down"] == pytest.approx(
        (median - lc.flux.min()) / sigma, rel=1e-9)


def test_a_cosmic_ray_is_not_a_high_excursion(kepler10):
    """A +1000 sigma single-cadence spike is removed before the shape features: the counts do
    not change and the largest upward excursion moves only through the loss of one ordinary
    cadence, which shifts median and MAD by O(1/N) (0.05 robust sigma is ample for N = 4,242;
    with the spike it would be ~1000)."""
    before = compute_domain("shape", Prepared(kepler10)).values
    flux = kepler10.flux.copy()
    flux[flux.size // 2] += 1000 * stats.median_abs_deviation(flux, scale="normal")
    after = compute_domain("shape", Prepared(dataclasses.replace(kepler10, flux=flux))).values
    assert after["shape_n_high_excursions"] == before["shape_n_high_excursions"]
    assert after["shape_max_excursion_up"] == pytest.approx(
        before["shape_max_excursion_up"], abs=0.05)


def test_constant_flux(light_curve_from):
    result = compute_domain("shape", Prepared(light_curve_from(np.full(300, 1.0))))
    for name in ("shape_n_high_excursions", "shape_n_low_excursions", "shape_max_excursion_up",
                 "shape_max_excursion_down", "shape_asymmetry"):
        assert result.values[name] is None and "robust sigma is zero" in result.null_reasons[name]
    assert result.values["shape_max_consecutive_up"] == 0
    assert result.values["shape_crossing_rate"] == 0


def test_no_dips_gives_finite_asymmetry(light_curve_from):
    flux = 1 + 1e-4 * np.tile([1.0, -1.0], 200)
    flux[100:115] = 1.01  # a 15-cadence flare, nothing below
    values = compute_domain("shape", Prepared(light_curve_from(flux))).values
    assert values["shape_n_low_excursions"] == 0
    assert values["shape_asymmetry"] == pytest.approx(15 / 16)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_points(n, light_curve_from):
    result = compute_domain("shape", Prepared(light_curve_from(1 + np.arange(n, dtype=float))))
    assert all(v is None for v in result.values.values())
    # the flare extras are NULL too, each with its own reason
    extras = ("shape_flare_rate", "shape_flare_flux_fraction")
    assert all(result.extras[name] is None for name in extras)
    assert set(result.null_reasons) == set(NAMES) | set(extras)
    assert all(f"{n} finite cadences" in result.null_reasons[name] for name in extras)


def test_three_points_match_reference(light_curve_from):
    flux = np.array([1.0, 1.002, 0.999])
    values = compute_domain("shape", Prepared(light_curve_from(flux))).values
    expected = reference(flux)
    for name in NAMES:
        assert values[name] == pytest.approx(expected[name], rel=1e-9), name
