"""The whole search (detrend, fast fold, refine) on real Kepler data with known answers."""

from __future__ import annotations

import dataclasses
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from astropy.timeseries import BoxLeastSquares, LombScargle
from scipy.stats import chi2

from lcfeat.features.prepared import Prepared
from lcfeat.lightcurve import LightCurve, read_light_curve
from lcfeat.lightcurve.robust import robust_sigma
from lcfeat.search.core import (
    DEPTH_CHI2_PVALUE,
    DEPTH_SCATTER,
    SINUSOID_HARMONICS,
    SINUSOID_MAX_RATIO,
    Candidate,
    FoldedHarmonics,
    _depth_deviations,
    _peak_trials,
    block_noise,
    box_candidate,
    depth_chi2_pvalue,
    is_box,
    red_noise_snr,
    search_detrended,
)
from lcfeat.search.detrend import (
    BIG_FLARE_WAKE_D,
    PREWHITEN_CHUNK_D,
    PREWHITEN_CLIP_SIGMA,
    RED_NOISE_MAX,
    TREND_WINDOW_D,
    _biweight_detrended,
    _chunk_models,
    detrend_for_search,
    flare_mask,
    flare_wakes,
    has_flares,
    variability_model,
)
from lcfeat.search.epochs import SingleTransits
from lcfeat.search.ffa import ffa_periodogram
from lcfeat.search.grid import plan_ffa
from lcfeat.search.transits import search_transits

ARCHIVE = Path(__file__).resolve().parents[2] / "data" / "archive"
# Kepler-10 b (Dumusque et al. 2014): P = 0.8374907 d, T0 = BJD 2454964.57375 = BKJD 131.57375.
KEPLER10_B = (0.8374907, 131.57375)
# KOI-3278 (Kruse & Agol 2014): P = 88.18 d; the occultation epoch is a box fit on these data.
KOI3278_PERIOD = 88.1805
KOI3278_OCCULTATION = 209.15
KOI3278_PULSE = 164.24


@cache
def light_curve(kepler_id: int) -> LightCurve:
    folder = ARCHIVE / f"{kepler_id:09d}"[:4] / f"{kepler_id:09d}"
    return read_light_curve(sorted(folder.glob("kplr*_llc.fits")))


@cache
def search(kepler_id: int):
    prepared = Prepared(light_curve(kepler_id))
    detrended = detrend_for_search(prepared.time, prepared.flux)
    result = search_detrended(detrended.time, detrended.y, max_duration=detrended.max_duration)
    return detrended, result


def _phase_offset(t: float, epoch: float, period: float) -> float:
    return (t - epoch + 0.5 * period) % period - 0.5 * period


def test_kepler10b_found_in_quarter_13():
    detrended, result = search(11904151)
    cand = result.candidate
    period, epoch = KEPLER10_B
    # The refined grid steps 1/10 of Ofir's step (2e-5 relative here): 1e-4 is generous.
    assert cand.period == pytest.approx(period, rel=1e-4)
    # Epoch within 10 minutes of the published ephemeris propagated over 1,250 cycles.
    assert abs(_phase_offset(cand.epoch, epoch, period)) < 10 / 1440
    # 1.8 h total duration and 152 ppm (Batalha et al. 2011): a box of the same area.
    assert cand.duration == pytest.approx(1.81 / 24, rel=0.15)
    assert cand.depth == pytest.approx(152e-6, rel=0.2)
    assert cand.snr > 20
    # Its residual red noise picks the 1-day window (durations up to 8 h): enough for 1.8 h.
    assert detrended.window <= TREND_WINDOW_D


def test_search_agrees_with_astropy_on_the_same_grid_and_durations():
    """astropy BoxLeastSquares on every trial period of the plan, with each group's durations."""
    detrended, result = search(11904151)
    plan, t, y = result.plan, detrended.time, detrended.y
    bls = BoxLeastSquares(t, y, np.full(t.size, robust_sigma(y)))
    freq = plan.frequencies()
    best = (-np.inf, None)
    for g in range(plan.n_groups):
        trial = slice(plan.trial_offset[g], plan.trial_offset[g + 1])
        widths = plan.widths[plan.width_offset[g]:plan.width_offset[g + 1]]
        durations = widths / (plan.f0[g] * plan.n_bins[g])
        out = bls.power(1.0 / freq[trial], durations, oversample=10, objective="likelihood")
        k = int(np.argmax(out.power))
        if out.power[k] > best[0]:
            best = (out.power[k], (plan.trial_offset[g] + k, out.period[k], out.transit_time[k],
                                   out.duration[k], out.depth[k]))
    _, (index, period, epoch, duration, depth) = best
    cand = result.candidate
    step_period = plan.step[result.periodogram.group[index]] * period**2
    # Tolerances: the fast fold may peak one trial away (its shifts are rounded to a bin) and
    # the refinement moves within +-2 trials; its durations are finer (ratio 1.1) than the
    # plan's whole bins (a third of the Sun-like duration, 0.57 h here); depths of boxes that
    # differ by those edges agree within 10%.
    assert abs(result.peak_trial - index) <= 2
    assert abs(cand.period - period) <= 2 * step_period
    assert abs(_phase_offset(cand.epoch, epoch, period)) <= 0.25 * duration
    assert abs(cand.duration - duration) <= 0.6 / 24
    assert cand.depth == pytest.approx(depth, rel=0.10)


def test_koi3278_finds_the_occultation_not_the_pulses():
    """KOI-3278 is a white dwarf on an 88.18-d orbit around a G star (Kruse & Agol 2014).

    Its self-lensing pulses are brightenings, invisible to a search for dips; its occultations
    (the white dwarf hidden by the star) are dips, and that is what the search finds. Getting
    there needs the star's rotation handled: with the 45-h window alone, the residual of its
    12.5-d spot modulation makes the strongest periodic dip (at the rotation or a multiple of
    it); the red-noise test has the spot wave (its 6.2-d harmonic dominates the power
    spectrum) fitted out first.
    """
    detrended, result = search(3342467)
    cand = result.candidate
    assert cand.period == pytest.approx(KOI3278_PERIOD, rel=5e-4)
    assert abs(_phase_offset(cand.epoch, KOI3278_OCCULTATION, KOI3278_PERIOD)) < 0.1
    assert cand.snr > 15 and result.sde > 15
    # The pulses are brighter than the baseline, so no dip model fits them.
    phase = _phase_offset(detrended.time, KOI3278_PULSE, KOI3278_PERIOD)
    assert np.mean(detrended.y[np.abs(phase) < 0.075]) > 3 * robust_sigma(detrended.y) / np.sqrt(
        np.count_nonzero(np.abs(phase) < 0.075))

    prepared = Prepared(light_curve(3342467))
    plain = _biweight_detrended(prepared.time, prepared.flux, TREND_WINDOW_D)
    assert plain.red_noise > RED_NOISE_MAX  # why the rotation had to be removed
    plain_result = search_detrended(plain.time, plain.y)
    freq, power = LombScargle(prepared.time, prepared.flux).autopower(
        minimum_frequency=1 / 30, maximum_frequency=2, samples_per_peak=5)
    rotation = 1 / freq[np.argmax(power)]
    assert rotation == pytest.approx(12.5, rel=0.03)
    # The rotation, or a multiple of it: every dip of the spot wave lines up there.
    multiple = plain_result.candidate.period / rotation
    assert round(multiple) in (1, 2, 3, 4)
    assert multiple == pytest.approx(round(multiple), rel=0.02)
    # The power spectrum peaks at the 6.2-d harmonic; folded at twice that, the two halves
    # differ (the spots are not symmetric), so the rotation itself is fitted out.
    assert detrended.prewhitened_period == pytest.approx(rotation, rel=0.03)
    assert detrended.red_noise <= RED_NOISE_MAX


def test_white_noise_gives_a_weak_peak():
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 90.0, 0.020434)
    y = rng.normal(0.0, 1e-3, t.size)
    result = search_detrended(t, y)
    _, kepler10 = search(11904151)
    assert result.candidate.snr < 7.1  # Kepler's detection threshold
    assert result.sde < kepler10.sde
    assert np.isfinite(result.sde)


def test_a_narrow_peak_outranks_a_taller_broad_bump_of_power():
    # A transit's peak is a few trials wide; what a spotted star's detrending leaves raises
    # broad bumps of power over hundreds of trials.
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 90.0, 0.020434)
    y = rng.normal(0.0, 1e-3, t.size)
    plan = plan_ffa(float(t[0]), float(t[-1] - t[0]), t.size)
    periodogram = ffa_periodogram(t, y, plan)
    power = periodogram.power / robust_sigma(y) ** 2
    trial = np.arange(power.size)
    bump, narrow = power.size // 3, 2 * power.size // 3
    power = power + 40.0 * np.exp(-0.5 * ((trial - bump) / 200.0) ** 2)
    power[narrow - 1:narrow + 2] += 30.0
    shaped = dataclasses.replace(periodogram, power=power)
    assert abs(int(np.argmax(power)) - bump) < 600  # the highest power is the bump's
    assert abs(_peak_trials(shaped, plan, 8)[0] - narrow) <= 1


def test_dominant_period_matches_lomb_scargle_on_a_spotted_star():
    lc = light_curve(10002792)
    freq, power = LombScargle(lc.time, lc.flux).autopower(
        minimum_frequency=0.1, maximum_frequency=12, samples_per_peak=10)
    prepared = Prepared(lc)
    detrended = detrend_for_search(prepared.time, prepared.flux)
    # The FFT of the binned flux resolves 1/(4 x 370 d); 0.5% is generous.
    assert detrended.prewhitened_period == pytest.approx(1 / freq[np.argmax(power)], rel=5e-3)


def test_fast_rotator_is_prewhitened_and_its_planet_found():
    """A 1% spot wave of 0.73 d (plus its first harmonic) hides 2.5e-3 box transits every
    3.3 d under white noise of 1e-3: no biweight window short enough to follow the wave keeps
    the transits whole, the harmonic fit does."""
    rng = np.random.default_rng(21)
    t = np.arange(0.0, 90.0, 0.020434)
    wave = 0.01 * np.sin(2 * np.pi * t / 0.73) + 0.004 * np.sin(4 * np.pi * t / 0.73 + 1.0)
    flux = 1.0 + wave + 1e-3 * rng.standard_normal(t.size)
    flux[np.abs((t - 1.3 + 1.65) % 3.3 - 1.65) < 0.06] -= 2.5e-3
    detrended = detrend_for_search(t, flux)
    assert detrended.prewhitened_period == pytest.approx(0.73, rel=0.01)
    result = search_detrended(detrended.time, detrended.y, max_duration=detrended.max_duration)
    assert result.candidate.period == pytest.approx(3.3, rel=1e-3)


def _white_with_dips(depths, period=3.0, duration=0.125, sigma=1e-3, seed=8):
    """90 d of white noise with box dips of the given depths, one per period."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 90.0, 0.020434)
    y = sigma * rng.standard_normal(t.size)
    for k, depth in enumerate(depths):
        y[np.abs(t - 1.0 - k * period) < 0.5 * duration] -= depth
    return t, y


def test_depth_consistency_keeps_equal_transits_and_turns_down_a_few_dips():
    """30 equal transits of 6 cadences at per-transit SNR 2.4: depths scatter as the noise,
    so the chi-square survival is of order 0.5 (1e-3 is the threshold); the same ephemeris
    holding four 6-sigma dips and nothing else has a survival far below it."""
    period, duration = 3.0, 0.125
    t, y = _white_with_dips([1e-3] * 30)
    single = SingleTransits(t, y, period, 1.0, duration)
    assert depth_chi2_pvalue(single, y, 0.020434) > 0.01
    few = [0.0] * 30
    for k in (2, 9, 17, 25):
        few[k] = 2.5e-3
    t, y = _white_with_dips(few)
    single = SingleTransits(t, y, period, 1.0, duration)
    assert depth_chi2_pvalue(single, y, 0.020434) < DEPTH_CHI2_PVALUE
    # A flare inside one real transit makes it shallower: clipped, it does not turn it down.
    t, y = _white_with_dips([1e-3] * 30)
    y[np.abs(t - 1.0 - 10 * period) < 0.03] += 0.02
    single = SingleTransits(t, y, period, 1.0, duration)
    assert depth_chi2_pvalue(single, y, 0.020434) > DEPTH_CHI2_PVALUE


def test_depth_consistency_holds_thousands_of_transits_in_heavy_tailed_noise():
    """2,300 equal transits of a 0.6-day planet in noise with heavier tails than a Gaussian
    (Student's t, 3 degrees of freedom: real Kepler noise has such tails). The robust noise
    model underrates the mean square of the epochs' depths, which thousands of epochs turn
    into a chi-square survival far below 1e-3; epochs half a period away
    scatter as much, so the transits are consistent. Four deep dips on the same ephemeris
    are still turned down."""
    rng = np.random.default_rng(3)
    cadence, period, duration = 0.020434, 0.6, 0.1
    t = np.arange(0.0, 1400.0, cadence)
    noise = 5e-4 * rng.standard_t(3, t.size)
    in_transit = np.abs((t - 0.2 + 0.5 * period) % period - 0.5 * period) < 0.5 * duration
    y = noise - 2e-4 * in_transit
    single = SingleTransits(t, y, period, 0.2, duration)
    assert single.n_detected > 2000
    n_duration = round(duration / cadence)
    squares = _depth_deviations(single, block_noise(y, n_duration) ** 2 * n_duration,
                                DEPTH_SCATTER)
    # The chi-square alone (scipy's), as the test was before the control epochs.
    assert chi2.sf(squares, single.n_detected - 1) < DEPTH_CHI2_PVALUE
    assert depth_chi2_pvalue(single, y, cadence) > DEPTH_CHI2_PVALUE
    dips = noise.copy()
    for centre in 0.2 + period * np.array([150, 650, 1150, 1650]):
        dips[np.abs(t - centre) < 0.5 * duration] -= 1e-2
    single = SingleTransits(t, dips, period, 0.2, duration)
    assert depth_chi2_pvalue(single, dips, cadence) < DEPTH_CHI2_PVALUE


def test_block_noise_of_white_noise_is_sigma_over_root_n():
    """Block means of white noise scatter as sigma / sqrt(n): the ratio is 1 within the
    robust scatter's sampling error over ~700 blocks (~5%); 10% stated."""
    t, y = _white_with_dips([1e-3] * 30)
    n = 6
    assert block_noise(y, n) == pytest.approx(robust_sigma(y) / np.sqrt(n), rel=0.1)


def test_the_red_noise_snr_divides_by_the_red_noise_factor_of_an_ar1_process():
    """Red noise as an AR(1) process (correlation 0.8 from one cadence to the next): the mean
    of n cadences has the variance sigma^2 / n x [1 + 2 sum_k (1 - k/n) 0.8^k] (the textbook
    sum), so a box of n cadences has its SNR divided by the square root of the bracket
    (Pont et al. 2006's beta, 3.0 for n = 10); white noise leaves it as it is; noise that
    averages out faster than white, e_t - 0.5 e_(t-1), has a sum of n cadences of variance
    (0.25 n + 1) against 1.25 n (beta 0.53 for n = 10): the SNR rises."""
    rho, n, cadence = 0.8, 10, 0.0204340
    rng = np.random.default_rng(8)
    kicks = rng.standard_normal(200_000) * np.sqrt(1.0 - rho**2)
    y = np.empty_like(kicks)
    y[0] = rng.standard_normal()
    for i in range(1, y.size):
        y[i] = rho * y[i - 1] + kicks[i]
    time = np.arange(y.size) * cadence
    beta = np.sqrt(1.0 + 2.0 * sum((1.0 - k / n) * rho**k for k in range(1, n)))
    cand = box_candidate(time, y, 1.0, 3.1, 1.0, n * cadence)
    assert red_noise_snr(time, y, cand, 1.0) == pytest.approx(cand.snr / beta, rel=0.05)
    white = rng.standard_normal(y.size)
    cand = box_candidate(time, white, 1.0, 3.1, 1.0, n * cadence)
    assert red_noise_snr(time, white, cand, 1.0) == pytest.approx(cand.snr, rel=0.05)
    blue = white - 0.5 * np.concatenate(([0.0], white[:-1]))
    sigma = np.sqrt(1.25)
    cand = box_candidate(time, blue, sigma, 3.1, 1.0, n * cadence)
    beta = np.sqrt((0.25 * n + 1.0) / (1.25 * n))
    assert red_noise_snr(time, blue, cand, sigma) == pytest.approx(cand.snr / beta, rel=0.05)


def test_a_spotted_star_is_detrended_once_by_its_own_noise():
    """KIC 10002792's spots survive the 45-hour window: its periodicities are fitted out in
    turn, strongest first, until the residual is white enough, and a shorter window is
    taken only if it is not (no periodogram per choice). The 45-hour detrending stays beside
    a shorter one."""
    prepared = Prepared(light_curve(10002792))
    plain = _biweight_detrended(prepared.time, prepared.flux, TREND_WINDOW_D)
    assert plain.red_noise > RED_NOISE_MAX
    chosen = detrend_for_search(prepared.time, prepared.flux)
    assert chosen.fitted and chosen.fitted[0][0] == pytest.approx(chosen.variability[0], rel=0.5)
    amplitudes = [amplitude for _, amplitude in chosen.fitted]
    assert amplitudes == sorted(amplitudes, reverse=True)
    if chosen.window < TREND_WINDOW_D:
        assert chosen.long is not None and chosen.long.red_noise > RED_NOISE_MAX
    else:
        assert chosen.red_noise <= RED_NOISE_MAX and chosen.long is None
    # White noise keeps the 45-hour window and nothing is fitted out.
    t = np.arange(0.0, 90.0, 0.020434)
    white = 1 + 1e-3 * np.random.default_rng(3).standard_normal(t.size)
    plain = detrend_for_search(t, white)
    assert plain.window == TREND_WINDOW_D and not plain.fitted and plain.long is None


def test_the_wake_of_a_big_flare_is_left_out_and_small_flares_keep_theirs():
    """Cadences within BIG_FLARE_WAKE_D of a flare peaking above BIG_FLARE_SIGMA sigma are
    marked (its tail lifts the trend on both sides); a small flare marks nothing more."""
    t = np.arange(0.0, 20.0, 0.020434)
    sigma = 1e-4
    y = np.zeros(t.size)
    big, small = 300, 700
    y[big:big + 6] = 100 * sigma * np.exp(-np.arange(6) / 2.0)
    y[small:small + 3] = 5 * sigma
    flare = flare_mask(y, sigma)
    wake = flare_wakes(t, y, flare, sigma)
    big_flare = t[:small - 50][flare[:small - 50]]
    assert big_flare.size >= 2 and flare[small]
    marked = t[wake]
    assert marked.min() == pytest.approx(big_flare.min() - BIG_FLARE_WAKE_D, abs=0.021)
    assert marked.max() == pytest.approx(big_flare.max() + BIG_FLARE_WAKE_D, abs=0.021)
    assert np.all(np.diff(marked) < 0.03)  # one stretch
    assert not wake[small - 50:].any()


def test_flares_of_every_cycle_leave_no_wake():
    """A contact binary's sharp maxima left in the detrended flux pass for big flares once
    a cycle (0.28 d): wakes around all of them would cut the light curve, so none is cut."""
    t = np.arange(0.0, 20.0, 0.020434)
    sigma = 1e-4
    y = np.where((t % 0.28) < 0.03, 50 * sigma, 0.0)
    flare = flare_mask(y, sigma)
    assert flare.any()
    assert not flare_wakes(t, y, flare, sigma).any()


def test_lone_bright_cadences_are_not_flares():
    """Real Kepler noise has a bright tail of lone cadences (hundreds of 3-8 sigma single
    cadences over 17 quarters, about twice the dim ones): glitches, not flares, which rise
    and decay over several cadences. Counted cadence by cadence, 300 of them on white noise
    read as a flaring star; counted as events of two cadences or more, they do not, and
    25 flares of a few cadences still do."""
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 1400.0, 0.020434)
    sigma = 1e-3
    noise = rng.normal(0.0, sigma, t.size)
    lone = rng.choice(np.arange(1, t.size - 1, 3), 300, replace=False)
    noise[lone] += rng.uniform(3.5, 8.0, lone.size) * sigma
    assert not has_flares(noise, sigma)
    flares = np.zeros(t.size)
    for start in rng.choice(t.size - 20, 25, replace=False):
        flares[start:start + 20] += 20 * sigma * np.exp(-np.arange(20) / 3.0)
    assert has_flares(noise + flares, sigma)


def test_lone_bright_cadences_are_cut_from_every_search_and_dips_kept():
    """A quiet star's lone bright cadences (5-8 sigma, no flares) are left out of the
    search's flux, its dips are not: the transit is found at its depth."""
    rng = np.random.default_rng(9)
    t = np.arange(0.0, 90.0, 0.020434)
    sigma = 1e-3
    flux = 1.0 + rng.normal(0.0, sigma, t.size)
    lone = rng.choice(np.arange(1, t.size - 1, 3), 40, replace=False)
    flux[lone] += rng.uniform(5.0, 8.0, lone.size) * sigma
    in_transit = np.abs((t - 1.3 + 1.5) % 3.0 - 1.5) < 0.06
    flux[in_transit] -= 2 * sigma
    assert not has_flares(flux - 1.0, sigma)
    found = search_transits(t, flux)
    assert not np.isin(t[lone], found.time).any()
    # A glitch's rise and decay cadences go with it; of the other in-transit cadences only
    # those the noise lifts 3 sigma above the running median (or their neighbours) may go.
    near_glitch = np.zeros(t.size, dtype=bool)
    for offset in (-1, 0, 1, 2):
        near_glitch[lone + offset] = True
    inner = in_transit & ~near_glitch & (t > 0.5) & (t < 89.5)
    assert inner.sum() > 100
    assert np.isin(t[inner], found.time).mean() > 0.98
    assert found.candidate.period == pytest.approx(3.0, rel=1e-3)
    assert found.candidate.depth == pytest.approx(2 * sigma, rel=0.1)


def test_flare_mask_cuts_flares_and_never_a_dip():
    """Flares (fast rise, exponential decay over 3 cadences) on white noise with box dips:
    the cut holds no in-transit cadence outside a flare and its rise, and most of the
    flares' light: a flare is judged against the running median, which its own tail lifts,
    and a decay cadence pushed below 1 sigma by noise ends it early (82% of the light and
    84% of the cadences brighter than 3 sigma measured; 75% stated). On white noise alone
    it cuts about the one-sided 3-sigma tail of the flux minus its running median (whose
    scatter is ~10% above sigma), grown by its decay and rise (0.54% measured; 1% stated).
    `has_flares` tells the two apart: white noise is symmetric about its running median."""
    rng = np.random.default_rng(11)
    t = np.arange(0.0, 60.0, 0.020434)
    sigma = 1e-3
    noise = rng.normal(0.0, sigma, t.size)
    assert flare_mask(noise, sigma).mean() < 0.01
    assert not has_flares(noise, sigma)
    flare_signal = np.zeros(t.size)
    for start in rng.choice(t.size - 20, 25, replace=False):
        flare_signal[start:start + 20] += 20 * sigma * np.exp(-np.arange(20) / 3.0)
    assert has_flares(noise + flare_signal, sigma)
    in_transit = np.abs((t - 0.7 + 1.5) % 3.0 - 1.5) < 0.05
    y = noise + flare_signal - 5 * sigma * in_transit
    mask = flare_mask(y, sigma)
    # The cadence before a flare's first (its rise) is cut with it.
    flaring = flare_signal > 0
    flaring[:-1] |= flaring[1:]
    assert not mask[in_transit & ~flaring].any()
    assert mask[flare_signal > 3 * sigma].mean() > 0.75
    assert flare_signal[mask].sum() > 0.75 * flare_signal.sum()


def _candidate(period: float, epoch: float, duration: float) -> Candidate:
    nan = float("nan")
    return Candidate(period, epoch, duration, nan, nan, nan, nan)


def _explained_by_harmonics(profile: np.ndarray, harmonics: int) -> float:
    """Variance of one evenly sampled period that its first harmonics carry (numpy's FFT)."""
    spectrum = np.fft.rfft(profile - profile.mean())
    return float(2.0 * np.sum(np.abs(spectrum[1:harmonics + 1]) ** 2) / profile.size**2)


@pytest.mark.parametrize("duty", [0.05, 0.15, 0.29])
def test_a_box_leaves_the_harmonics_the_share_of_its_fourier_series(duty):
    """A box dip of duty cycle q carries q (1 - q) d^2 of variance, its first two harmonics
    the share numpy's FFT of one period gives: under 0.85 of it up to the widest trial duty
    cycle (3.5 h at 0.5 d: 0.29), so a transit is never taken for a sinusoid."""
    period, cycles, per_cycle = 2.0, 100, 2000
    time = np.arange(cycles * per_cycle) * period / per_cycle
    phase = (time / period) % 1.0
    y = np.where(np.abs(phase - 0.5) < 0.5 * duty, -1e-3, 0.0)
    expected = (_explained_by_harmonics(y[:per_cycle], SINUSOID_HARMONICS)
                / float(np.var(y[:per_cycle])))
    ratio = FoldedHarmonics(time, y, _candidate(period, 0.5 * period, duty * period)).ratio()
    assert ratio == pytest.approx(expected, rel=0.02)
    assert ratio < 0.85 < SINUSOID_MAX_RATIO


def test_a_sinusoid_is_told_from_a_box_at_its_trough():
    """Spot residual as a sinusoid: the widest trial box at its trough explains about half
    of what two harmonics explain (numpy means of the same samples give the box's share)."""
    period, duty = 0.64, 0.24
    time = np.arange(0.0, 300.0, 0.0204340)
    y = 1e-3 * np.cos(2.0 * np.pi * time / period)
    phase = ((time - 0.5 * period) / period + 0.5) % 1.0
    inside = np.abs(phase - 0.5) < 0.5 * duty
    deficit = y[~inside].mean() - y[inside].mean()
    box_share = inside.mean() * (1.0 - inside.mean()) * deficit**2 / np.var(y)
    ratio = FoldedHarmonics(time, y, _candidate(period, 0.5 * period, duty * period)).ratio()
    assert ratio == pytest.approx(1.0 / box_share, rel=0.02)
    assert ratio > 1.5 * SINUSOID_MAX_RATIO


def test_a_box_in_one_trough_of_a_sinusoid_three_times_shorter_is_a_sinusoid():
    """A red giant's oscillation mode as a sinusoid of 0.2 d, and a box at 0.6 d in one of its
    troughs (as the search found on the population bench's giants): two harmonics of the box's
    own period see nothing of it, two of three times its frequency explain more than the box
    (numpy means of the same samples give the box's share), and the box, fitted with them,
    is no detection (SNR under 7.1): `FoldedHarmonics.is_sinusoid`."""
    period, duration = 0.6, 0.06
    time = np.arange(0.0, 300.0, 0.0204340)
    rng = np.random.default_rng(3)
    y = -1e-4 * np.cos(2.0 * np.pi * 3.0 * time / period) + 1e-5 * rng.standard_normal(time.size)
    cand = _candidate(period, 0.0, duration)
    phase = (time / period + 0.5) % 1.0
    inside = np.abs(phase - 0.5) * period < 0.5 * duration
    deficit = y[~inside].mean() - y[inside].mean()
    box = inside.sum() * (1.0 - inside.mean()) * deficit**2
    explained = float(np.sum((y - y.mean()) ** 2)) - time.size * 1e-10  # the noise stays
    assert FoldedHarmonics(time, y, cand).ratio(3) == pytest.approx(explained / box, rel=0.02)
    assert FoldedHarmonics(time, y, cand).ratio(3) > SINUSOID_MAX_RATIO
    assert FoldedHarmonics(time, y, cand).ratio() < 0.01
    assert FoldedHarmonics(time, y, cand).is_sinusoid(1e-5)


def test_a_transit_beside_a_stronger_sinusoid_at_a_multiple_of_its_frequency_is_a_box():
    """The same sinusoid with a transit of 0.6 d at one of its troughs: the sinusoid still
    explains more than the transit's box, but the box fitted with it is still a detection,
    so the transit is not taken for a sinusoid (a giant of the population bench whose
    planet's period is three of a mode's); nor is it without the sinusoid."""
    period, duration = 0.6, 0.06
    time = np.arange(0.0, 300.0, 0.0204340)
    rng = np.random.default_rng(4)
    phase = (time / period + 0.5) % 1.0
    transit = np.where(np.abs(phase - 0.5) * period < 0.5 * duration, -6e-5, 0.0)
    y = (-1e-4 * np.cos(2.0 * np.pi * 3.0 * time / period) + transit
         + 1e-5 * rng.standard_normal(time.size))
    cand = _candidate(period, 0.0, duration)
    assert FoldedHarmonics(time, y, cand).ratio(3) > SINUSOID_MAX_RATIO
    assert not FoldedHarmonics(time, y, cand).is_sinusoid(1e-5)
    noisy_transit = transit + 1e-5 * rng.standard_normal(time.size)
    assert not FoldedHarmonics(time, noisy_transit, cand).is_sinusoid(1e-5)


def test_each_chunk_is_the_least_squares_fit_refitted_without_its_outliers():
    """The prewhitening's chunk fits against numpy's least squares: a line and four
    harmonics of a 2.7-day rotation over each 5-day chunk of a real light curve's time
    stamps, fitted to all cadences, then again without those more than PREWHITEN_CLIP_SIGMA
    robust sigma from the first fit (here a 3,000 ppm transit and a flare, which the refit
    must not follow). The compiled fits take the clipped cadences' terms out of the first
    normal equations instead of summing the rest again."""
    lc = light_curve(11904151)
    keep = np.isfinite(lc.flux)
    time = lc.time[keep][:4000]
    rng = np.random.default_rng(4)
    period = 2.7
    phase = 2 * np.pi * time / period
    flux = (1.0 + 0.01 * np.sin(phase) + 0.004 * np.cos(2 * phase)
            + 2e-4 * rng.standard_normal(time.size))
    flux[np.abs(time - time[1500]) < 0.1] -= 3e-3  # a transit
    flux[2500:2504] += [5e-3, 3e-3, 2e-3, 1e-3]  # a flare
    chunk = np.floor((time - time[0]) / PREWHITEN_CHUNK_D).astype(np.int64)
    centres = time[0] + (chunk + 0.5) * PREWHITEN_CHUNK_D
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(chunk)) + 1, [time.size]))
    model = _chunk_models(time, flux, bounds, centres, 1.0 / period, 4, PREWHITEN_CLIP_SIGMA, 30)
    expected = np.empty(time.size)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        x = time[a:b] - centres[a]
        columns = [np.ones_like(x), x]
        columns += [np.sin(2 * np.pi * k * x / period) for k in range(1, 5)]
        columns += [np.cos(2 * np.pi * k * x / period) for k in range(1, 5)]
        design = np.column_stack(columns)
        y = flux[a:b]
        fit = design @ np.linalg.lstsq(design, y, rcond=None)[0]
        residual = y - fit
        spread = 1.482602218505602 * np.median(np.abs(residual - np.median(residual)))
        kept = np.abs(residual) <= PREWHITEN_CLIP_SIGMA * spread
        expected[a:b] = design @ np.linalg.lstsq(design[kept], y[kept], rcond=None)[0]
    assert np.max(np.abs(model - expected)) < 1e-9
    # The refit leaves the transit out: its depth stays in the residual.
    in_transit = np.abs(time - time[1500]) < 0.1
    assert np.mean((flux - model)[in_transit]) < -2.5e-3


def test_a_chunk_holding_hours_of_data_is_fitted_with_its_neighbour():
    """A contact binary (0.34 d, 5% semi-amplitude) whose data stop half a day after a
    chunk boundary: that last chunk once got its median for a model, and blended with the
    other chunking's fit it left up to 10% of the binary near the end (on the population
    bench: dips of 4,000-12,000 ppm at quarter ends, taken for transits). Joined to its
    neighbour, the model follows the binary to the noise everywhere."""
    rng = np.random.default_rng(3)
    period = 0.34
    time = np.arange(0.0, PREWHITEN_CHUNK_D * 2 + 0.5, 0.0204)
    phase = 2 * np.pi * time / period
    flux = 1.0 + 0.05 * np.cos(phase) + 0.01 * np.cos(2 * phase) + 1e-4 * rng.standard_normal(
        time.size)
    model = variability_model(time, flux, 1.0 / period, 8)
    assert np.max(np.abs(flux - model)) < 6e-4


def test_a_candidate_without_an_ephemeris_is_no_box_and_no_sinusoid_is_fitted_for_it():
    """A refinement that finds no box gives a finite period with a NaN epoch and duration.
    `FoldedHarmonics.ratio` then has no box to compare with (inf), which once sent such a
    candidate's period to be fitted out as the star's variability; `is_box` turns it down
    first."""
    time = np.linspace(0.0, 30.0, 1500)
    y = np.zeros(time.size)
    no_ephemeris = _candidate(3.0, float("nan"), float("nan"))
    assert not is_box(no_ephemeris)
    assert FoldedHarmonics(time, y, no_ephemeris).ratio() == float("inf")
    assert not FoldedHarmonics(time, y, no_ephemeris).is_sinusoid(1.0)  # no box to vet
    # The red-noise SNR of no box is NaN (a NaN duration once raised converting to cadences).
    assert math.isnan(red_noise_snr(time, y, no_ephemeris, 1.0))
    assert is_box(_candidate(3.0, 1.0, 0.1))
