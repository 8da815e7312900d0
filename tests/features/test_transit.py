"""Transit domain: known planets, injected planets and binaries, noise-floor values, NULLs."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import BY_DOMAIN, compute_domain, names_in
from lcfeat.features.transit import candidate_features
from lcfeat.lightcurve import LightCurve
from lcfeat.search import transits
from lcfeat.search.transits import search_transits
from lcfeat.study import injection

NAMES = names_in("transit")
EXTRA_NAMES = BY_DOMAIN["transit"].extra_names
# Kepler-10 b (Dumusque et al. 2014): P = 0.8374907 d, T0 = BKJD 131.57375, 1.81 h,
# Rp = 1.47 R_earth = 0.131 R_Jup.
KEPLER10_B_PERIOD = 0.8374907
KEPLER10_B_EPOCH = 131.57375
KEPLER10_B_DURATION = 1.81 / 24
KEPLER10_B_RADIUS_RJUP = 1.47 * 6371.0 / 71492.0
KEPLER_DETECTION_SNR = 7.1


def _all(result) -> dict:
    return {**result.values, **result.extras}


@pytest.fixture(scope="module")
def kepler10_result(kepler10):
    return compute_domain("transit", Prepared(kepler10))


@pytest.fixture(scope="module")
def quiet_result(faint_star):
    return compute_domain("transit", Prepared(faint_star))


def _box_dips(lc, period, epoch, duration, depth, phase_depths=None):
    """`lc` with box dips of `depth` (and optionally others at given phases)."""
    flux = lc.flux.copy()
    for phase, d in [(0.0, depth), *(phase_depths or [])]:
        offset = (lc.time - epoch - phase * period + 0.5 * period) % period - 0.5 * period
        flux[np.abs(offset) < 0.5 * duration] *= 1.0 - d
    return dataclasses.replace(lc, flux=flux)


def test_a_box_that_failed_the_vetting_is_flagged(kepler10):
    """transit_vetted tells a vetted box (Kepler-10 b's, 1.0) from one reported although
    every peak failed a test (the search's `consistent` False: 0.0), that is a sinusoid the
    search could not fit out (`sinusoidal`: 0.0) or no detection against red noise
    (`red_noise_snr` under 7.1: 0.0); the box's values are the same."""
    found = search_transits(Prepared(kepler10).time, Prepared(kepler10).flux)
    assert found.periodic.consistent and not found.sinusoidal and found.red_noise_snr > 7.1
    vetted = candidate_features(found, 1.0)
    unvetted = candidate_features(
        dataclasses.replace(found, periodic=dataclasses.replace(found.periodic,
                                                                consistent=False)), 1.0)
    sinusoid = candidate_features(dataclasses.replace(found, sinusoidal=True), 1.0)
    red = candidate_features(dataclasses.replace(found, red_noise_snr=7.0), 1.0)
    assert vetted.extras["transit_vetted"] == 1.0
    assert unvetted.extras["transit_vetted"] == 0.0
    assert sinusoid.extras["transit_vetted"] == 0.0
    assert red.extras["transit_vetted"] == 0.0
    assert unvetted.values == vetted.values == sinusoid.values == red.values


def test_names_and_extras(kepler10_result):
    assert tuple(kepler10_result.values) == NAMES
    assert set(kepler10_result.extras) == set(EXTRA_NAMES)


def test_kepler10b(kepler10, kepler10_result):
    v = _all(kepler10_result)
    assert all(v[name] is not None for name in (*NAMES, *EXTRA_NAMES))
    assert v["transit_bls_period"] == pytest.approx(KEPLER10_B_PERIOD, rel=1e-4)
    offset = (v["transit_bls_epoch"] - KEPLER10_B_EPOCH + 0.5 * KEPLER10_B_PERIOD) % (
        KEPLER10_B_PERIOD) - 0.5 * KEPLER10_B_PERIOD
    assert abs(offset) < 10 / 1440
    # Box depth x header radius (1.046 R_sun) against the published 1.47 R_earth: 20%
    # covers limb darkening (a box of the same area is shallower than the centre) and the
    # KIC radius (Dumusque et al. fit 1.065 R_sun).
    assert v["transit_implied_r_planet_rjup"] == pytest.approx(KEPLER10_B_RADIUS_RJUP, rel=0.2)
    assert v["transit_physically_plausible"] == 1.0
    assert v["transit_odd_even_consistent"] == 1.0
    assert v["transit_odd_even_sigma"] < 3.0
    # Kepler-10 b's occultation is 5.8 +- 2.5 ppm (Fogtmann-Schulz et al. 2014): SNR ~2-3 in
    # one quarter, far below an eclipsing binary's secondary.
    assert abs(v["transit_secondary_snr"]) < 5.0
    assert v["transit_bls_snr"] > 20
    assert v["transit_vetted"] == 1.0
    # Epochs with a cadence inside the published ephemeris' box, counted directly; the
    # search leaves out cadences within 0.25 d of the quarter's few gaps (at most one epoch
    # each side of a gap).
    t = Prepared(kepler10).time
    k = np.round((t - KEPLER10_B_EPOCH) / KEPLER10_B_PERIOD)
    inside = np.abs(t - KEPLER10_B_EPOCH - k * KEPLER10_B_PERIOD) < 0.5 * KEPLER10_B_DURATION
    expected = np.unique(k[inside]).size
    n_gaps = int(np.sum(np.diff(t) > 0.5))
    assert expected - 2 * n_gaps - 1 <= v["transit_n_detected"] <= expected + 1
    # 105 transits of per-transit SNR ~4.5: the mid-times scatter by a small fraction of the
    # duration, far less than the +-0.29 D of a box placed at random (quiet star below).
    assert v["transit_timing_consistency"] < 0.2


def test_quiet_star_gets_noise_floor_values(quiet_result, kepler10_result):
    v = _all(quiet_result)
    assert all(v[name] is not None for name in NAMES), quiet_result.null_reasons
    assert v["transit_bls_snr"] < KEPLER_DETECTION_SNR
    assert v["transit_bls_power"] < kepler10_result.values["transit_bls_power"]
    assert v["transit_bls_depth"] > 0


def test_depth_and_timing_consistency_known_answers(light_curve_from):
    """White noise sigma 1e-3, 3-hour box transits of 3e-3 every 3.3 d for 90 days."""
    rng = np.random.default_rng(42)
    n = 4400
    noise = 1.0 + 1e-3 * rng.standard_normal(n)
    lc = light_curve_from(noise)
    period, epoch, duration, depth = 3.3, 101.0, 0.125, 3e-3
    result = compute_domain("transit", Prepared(_box_dips(lc, period, epoch, duration, depth)))
    v = result.values
    assert v["transit_bls_period"] == pytest.approx(period, rel=1e-3)
    # Each single-transit depth has error sigma / sqrt(6 cadences) = 4.1e-4: the scatter over
    # 27 transits is 0.136 of the depth, known to +-14% (chi distribution) plus the box
    # edges; 35% tolerance.
    assert v["transit_depth_consistency"] == pytest.approx(1e-3 / math.sqrt(6) / depth, rel=0.35)
    assert v["transit_timing_consistency"] < 0.1

    # Sinusoidal timing variations of amplitude D/4: rms D/4/sqrt(2) = 0.18 D.
    flux = noise.copy()
    t = lc.time
    for k in range(int((t[-1] - epoch) / period) + 1):
        centre = epoch + k * period + 0.25 * duration * math.sin(2 * math.pi * k / 7.0)
        flux[np.abs(t - centre) < 0.5 * duration] *= 1.0 - depth
    wobbly = compute_domain("transit", Prepared(dataclasses.replace(lc, flux=flux))).values
    assert wobbly["transit_bls_period"] == pytest.approx(period, rel=2e-3)
    assert 0.12 < wobbly["transit_timing_consistency"] < 0.3


@pytest.mark.parametrize(("secondary", "consistent"), [(0.006, 0.0), (0.012, 1.0)])
def test_eclipsing_binary_alternating_depths_flagged(faint_star, secondary, consistent):
    """A binary on a circular 3.1-d orbit: equal-duration eclipses half a period apart. The
    search folds both at 1.55 d; unequal depths (1.2% and 0.6%) make odd and even disagree,
    equal depths (the control) do not. Eclipses are limb-darkened batman models."""
    clean = faint_star
    period, epoch = 3.1, faint_star.time[0] + 0.4
    flux = clean.flux.copy()
    for phase, depth in ((0.0, 0.012), (0.5, secondary)):
        body = injection.Injection(period, epoch + phase * period, math.sqrt(depth),
                                   injection.a_over_rs(period), 0.0)
        flux *= injection.transit_model(clean.time, body)
    result = compute_domain("transit", Prepared(dataclasses.replace(clean, flux=flux)))
    v = _all(result)
    assert v["transit_bls_period"] == pytest.approx(period / 2, rel=1e-3)
    assert v["transit_odd_even_consistent"] == consistent
    if consistent == 0.0:
        assert v["transit_odd_even_sigma"] > 10


def test_injected_planets_are_recovered(faint_star):
    """A few batman planets at expected SNR ~15 (the full grid lives in bench/)."""
    grid = [(2.3, faint_star.time[0] + 0.5, 0.2, 15.0),
            (7.7, faint_star.time[0] + 3.1, 0.5, 15.0),
            (13.1, faint_star.time[0] + 9.0, 0.0, 15.0)]
    outcomes = injection.run_injections(faint_star, grid)
    for outcome in outcomes:
        assert 12.0 < outcome.expected_snr < 18.0
        assert outcome.recovered, outcome


def test_planets_of_a_flaring_star_are_recovered(flare_star):
    """GJ 1243 flares many times a day: a flare inside a transit box raises its mean, so its
    flares are cut from the search's flux (`flare_mask`). Three batman planets at expected
    SNR ~14 that the search missed before the cut (it found noise peaks at SNR 12-16)."""
    t0 = float(flare_star.time[0])
    grid = [(1.0323, t0 + 0.13 * 1.0323, 0.3, 14.0),
            (3.0557, t0 + 0.13 * 3.0557, 0.6, 14.0),
            (5.2574, t0 + 0.13 * 5.2574, 0.3, 14.0)]
    for outcome in injection.run_injections(flare_star, grid):
        assert 11.0 < outcome.expected_snr < 17.0
        assert outcome.recovered, outcome


def test_flares_that_redden_the_residual_call_for_a_new_detrending(
        flare_star, monkeypatch, detrend_calls):
    """GJ 1243's flares hide in its raw flux (its spots fill the point-to-point scatter) and
    show in the detrended flux, where they made the 45-hour residual red and the detrending
    choose a shorter window: the flux is detrended again without them (its 3.06-d injected
    planet was lost without that)."""
    calls = detrend_calls
    monkeypatch.setattr(transits, "LIFTING_FLARE_SIGMA", np.inf)  # the reddening alone
    prepared = Prepared(flare_star)
    transits.search_transits(prepared.time, prepared.flux)
    assert len(calls) >= 2
    assert calls[1] < calls[0]  # without the flares


@pytest.mark.parametrize(("depth", "plausible"), [(0.01, 0.0), (0.001, 1.0)])
def test_implied_radius_and_plausibility(faint_star, depth, plausible):
    """The faint star's header radius is 2.615 R_sun: a 1% dip is a 2.5 R_Jup body."""
    lc = _box_dips(faint_star, 4.2, faint_star.time[0] + 1.0, 0.15, depth)
    v = compute_domain("transit", Prepared(lc)).values
    expected = math.sqrt(depth) * faint_star.stellar["radius"] * 695_700 / 71_492
    assert v["transit_implied_r_planet_rjup"] == pytest.approx(expected, rel=0.1)
    assert v["transit_physically_plausible"] == plausible


def test_no_stellar_radius_gives_null_with_reason(kepler10):
    lc = dataclasses.replace(kepler10, stellar={})
    result = compute_domain("transit", Prepared(lc))
    for name in ("transit_implied_r_planet_rjup", "transit_physically_plausible"):
        assert result.values[name] is None
        assert "radius" in result.null_reasons[name]
    others = set(NAMES) - {"transit_implied_r_planet_rjup", "transit_physically_plausible"}
    assert all(result.values[name] is not None for name in others)


@pytest.mark.parametrize("kind", ["few", "constant", "short"])
def test_degenerate_light_curves_give_nulls_with_reasons(light_curve_from, kind):
    if kind == "few":
        lc = light_curve_from(np.ones(10) + 1e-3 * np.arange(10))
    elif kind == "constant":
        lc = light_curve_from(np.ones(3000))
    else:  # 12 hours: not two cycles of the shortest period
        lc = light_curve_from(1.0 + 1e-3 * np.random.default_rng(1).standard_normal(24))
    result = compute_domain("transit", Prepared(lc))
    assert all(result.values[name] is None for name in NAMES)
    assert all(result.null_reasons[name] for name in NAMES)
    # the extras are NULL for the same reason, not silently
    assert all(result.extras[name] is None for name in EXTRA_NAMES)
    assert {result.null_reasons[name] for name in (*NAMES, *EXTRA_NAMES)} == {
        result.null_reasons[NAMES[0]]}


def test_nan_cadences_are_ignored(light_curve_from):
    rng = np.random.default_rng(9)
    flux = 1.0 + 1e-3 * rng.standard_normal(3000)
    flux[::97] = np.nan
    result = compute_domain("transit", Prepared(light_curve_from(flux)))
    for name, value in result.values.items():
        assert value is None or math.isfinite(value), name
    assert result.values["transit_bls_period"] is not None


def test_same_input_same_output(kepler10, kepler10_result):
    again = compute_domain("transit", Prepared(kepler10))
    assert again.values == kepler10_result.values
    assert again.extras == kepler10_result.extras


BAD_VALUES = [0.0, 1.0, -1.0, 1e300, -1e300, 5e-324, np.nan, np.inf, -np.inf]
STEPS = [0.0204336] * 4 + [0.0, 1e-12, 1.0, 3.0, 1e6]


@st.composite
def hostile_light_curves(draw):
    """Bad arrays: tiny or ordinary lengths, repeated or jumping times, NaN, inf, 1e300,
    constants, noise with outliers."""
    n = draw(st.sampled_from([0, 1, 3, 60, 300, 900]))
    steps = draw(arrays(np.float64, max(n - 1, 0), elements=st.sampled_from(STEPS)))
    time = 131.5 + np.concatenate(([0.0], np.cumsum(steps)))[:n]
    kind = draw(st.sampled_from(["constant", "bad mix", "noise with outliers"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "constant":
        flux = np.full(n, draw(st.sampled_from([1.0, 0.0, 1e300, 0.1])))
    elif kind == "bad mix":
        flux = rng.choice(np.array(BAD_VALUES), size=n)
    else:
        flux = 1 + 1e-3 * rng.standard_normal(n)
        k = draw(st.integers(0, n))
        flux[rng.permutation(n)[:k]] = draw(st.sampled_from(BAD_VALUES))
    return LightCurve(kepler_id=1, time=time, flux=flux, flux_err=np.full(n, 1e-4),
                      quarter=np.ones(n, np.int16), stellar={"radius": 1.0})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_light_curves())
def test_hostile_input_never_raises_nor_gives_inf(lc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = compute_domain("transit", Prepared(lc))
    assert tuple(result.values) == NAMES
    for name, value in result.values.items():
        if value is None:
            assert result.null_reasons[name], name
        else:
            assert math.isfinite(value), (name, value)
    assert tuple(result.extras) == EXTRA_NAMES
    for name, value in result.extras.items():
        if value is None:
            assert result.null_reasons[name], name
        else:
            assert math.isfinite(value), (name, value)
