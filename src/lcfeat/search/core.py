"""The search on detrended flux: fast-fold every trial period once, then re-examine the best
peaks locally.

1. `ffa_periodogram` over the plan of `grid.plan_ffa` (Ofir-density grid, durations tied
   to the period): the best dip box at every trial period; the signal detection efficiency
   (Kovacs et al. 2002) is that of the peak finally chosen.
2. The `N_REFINE` highest separate peaks above the periodogram's local background (its
   running median: a transit's peak is narrow, a spot residual's bump broad) are
   re-searched with the compiled astropy-equivalent kernel `bls_binned` on a local grid five
   times finer than the plan's step, with finer durations and phase bins, folding only the
   cadences near each peak's transits; the first `N_RANKED` at once (ranked by refined
   likelihood), the others only when vetting needs them.
3. Vetting, in that order: a candidate at the period of the star's own variability or a
   harmonic (`is_own_variability`), or made by one event (a glitch, or one real dip whose
   other epochs fall in gaps: fewer than `MIN_EVENTS` epochs with data, or less than half its
   likelihood left without its strongest epoch) is passed over; one whose single-transit
   depths scatter more than the noise at its duration allows (`depth_chi2_pvalue`: a few
   unrelated spot or systematic dips lined up) is passed over too, but kept as the answer if
   nothing better is found (`consistent` False). Only when every peak is one event's doing
   (a glitch dominating the periodogram) is the event cut and the search repeated.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc, fdtrc

from lcfeat.lightcurve.robust import median, median_cadence, robust_sigma, running_median
from lcfeat.search.bls import bls_binned
from lcfeat.search.epochs import SingleTransits, fractional_part
from lcfeat.search.ffa import Periodogram, ffa_periodogram
from lcfeat.search.grid import (
    DURATION_MAX_D,
    OVERSAMPLE,
    FfaPlan,
    duration_range,
    plan_ffa,
)

#: Number of separate periodogram peaks refined with the exact kernel and vetted ...
N_REFINE = 8
#: ... of which the first ones are refined at once and ranked by their refined likelihood
#: (the fast fold's power is close to it, not equal); the rest only when vetting needs them.
N_RANKED = 3
#: Peaks are ranked by their height above the periodogram's local background, the running
#: median of this many trials (`above_background`), not by their power: a transit's peak is
#: a few trials wide (the plan moves a transit by a third of its shortest duration per
#: step), while what the detrending leaves of a spotted star's variability raises broad
#: bumps of power over many trials, which can stand taller than a transit's narrow peak.
#: TLS detrends its spectrum with a running median the same way (Hippke & Heller 2019, a
#: kernel of 30 x its oversampling). On the population bench's 53 spotted and flaring stars
#: with planets at box SNR >= 10, 31 trials found 30 planets, 91 (TLS's kernel at
#: OVERSAMPLE) 27, the power itself 27.
PEAK_BACKGROUND_TRIALS = 31
#: Local refinement: +- this many plan steps around a peak, in steps of a tenth.
REFINE_HALF_WIDTH_STEPS = 2.0
REFINE_POINTS = 21
#: Refinement looks only at the cadences within this many phase bins of the plan (beyond
#: half the longest duration) of the peak's transits: a step of the local grid moves a
#: transit by at most one bin over the baseline, the fold's rounding by about log2(rows)/6.
REFINE_MARGIN_BINS = 4.0
#: Refinement durations: geometric from the shortest to the longest trial duration.
REFINE_DURATION_RATIO = 1.1
#: Refinement phase bins per shortest duration (astropy's `oversample`).
REFINE_OVERSAMPLE = 10
#: A candidate needs this many epochs with data ...
MIN_EVENTS = 3
#: ... and this share of its likelihood left without its strongest epoch (3 equal transits
#: keep 2/3, one event about 0).
MIN_SHARE_WITHOUT_STRONGEST = 0.5
#: Depth consistency across epochs (Kepler's chi-square veto in spirit: Seader et al.
#: 2013): a candidate whose single-transit depths scatter about their mean more than their
#: noise allows (chi-square survival below this) is made by a few unrelated dips.
DEPTH_CHI2_PVALUE = 1e-3
#: The noise of an epoch is the scatter of flux means over the duration (red noise
#: included) with this fraction of the mean depth added in quadrature: the detrending keeps
#: a different share of each real transit, which must not turn down deep ones.
DEPTH_SCATTER = 0.3
#: Deviations below the mean count at most this many sigma: a flare inside a transit box
#: lowers its depth (the test is about dips that are too deep, not too shallow).
DEPTH_LOW_CLIP = 2.0
#: A candidate within this fraction of a multiple or a submultiple (up to OWN_HARMONICS) of
#: the star's own variability period, when that variability was fitted out, is the
#: variability's residual, not a transit: the next peak is taken.
OWN_PERIOD_TOLERANCE = 0.02
OWN_HARMONICS = 4
#: ... when that variability's semi-amplitude is at least this many times the candidate's
#: depth (a deep transit can itself be the strongest periodicity of a quiet star's flux).
OWN_AMPLITUDE_RATIO = 5.0
#: A candidate whose folded flux two harmonics of its period explain better than its box
#: (reduction of the squared residuals, `FoldedHarmonics.ratio`) is variability, not a
#: transit: a box of duty cycle q leaves under 0.85 of its own reduction to two harmonics
#: (q <= 0.29, the widest trial: 3.5 h at 0.5 d), a sinusoid gives the widest box about half
#: of its own (ratio about 2).
SINUSOID_HARMONICS = 2
SINUSOID_MAX_RATIO = 1.0
#: A box can also sit in one trough of a sinusoid k times shorter than its period (a red
#: giant's oscillation mode at a third of it): the chosen box is reported as a sinusoid
#: (`FoldedHarmonics.is_sinusoid`: not vetted) when, for some k up to this, two harmonics
#: of k / period fit its folded flux better than the box and the box, fitted with them, has
#: an SNR below SINUSOID_BOX_SNR (Kepler's detection threshold): a transit stays a detection
#: beside a sinusoid at a multiple of its frequency, a sinusoid's trough is none without it.
SINUSOID_ORDERS = 4
SINUSOID_BOX_SNR = 7.1
#: A chosen box is vetted only when its SNR against the noise of flux means over its
#: duration, red noise included (`red_noise_snr`; Pont et al. 2006), is at least this
#: (Kepler's detection threshold): a long box in a red giant's granulation or what a
#: spotted star's detrending leaves has a white-noise SNR well above it for nothing.
RED_NOISE_SNR_MIN = 7.1
#: The folded flux is averaged in this many phase bins for the harmonic fit (a harmonic of
#: order 2 loses 0.02% of its amplitude to them).
SINUSOID_PHASE_BINS = 200
#: When every vetted peak is one event's doing (a glitch dominating the periodogram), that
#: event is cut and the search repeated, at most this many times (a star with three such
#: dips, as KIC 10002792's rotation residuals with its flares cut, needs three: with two it
#: answered a one-transit box and lost 3 of its 56 injected planets at SNR >= 10).
MAX_CUT_EVENTS = 3


@dataclass(frozen=True)
class Candidate:
    """The best box of the search (astropy BoxLeastSquares conventions)."""

    period: float
    epoch: float
    duration: float
    depth: float
    depth_err: float
    snr: float
    log_likelihood: float


@dataclass(frozen=True)
class SearchResult:
    plan: FfaPlan
    periodogram: Periodogram
    sde: float
    candidate: Candidate
    sigma: float
    peak_trial: int
    #: The highest separate periodogram peaks above the local background (trial indices):
    #: the first N_RANKED in the order of their refined likelihood (the first is
    #: `peak_trial`, refined into `candidate`), then the rest by that height.
    peaks: tuple[int, ...] = ()
    #: The refined candidates of the first peaks, in the same order.
    refined: tuple[Candidate, ...] = ()


def signal_detection_efficiency(power: np.ndarray, trial: int | None = None) -> float:
    """(peak - mean) / standard deviation of the spectrum, the peak being the highest power
    or that of `trial`; 0 for a flat spectrum."""
    spread = float(np.std(power))
    if not np.isfinite(spread) or spread == 0.0:
        return 0.0
    peak = power.max() if trial is None else power[trial]
    return float((peak - power.mean()) / spread)


def above_background(periodogram: Periodogram) -> np.ndarray:
    """Each trial's power less the running median of PEAK_BACKGROUND_TRIALS trials centred on
    it (the periodogram's local background; the plan orders its trials by ascending
    frequency, `FfaPlan.frequencies`)."""
    power = periodogram.power
    if power.size == 0:
        return power
    return power - running_median(power, PEAK_BACKGROUND_TRIALS)


def _peak_trials(periodogram: Periodogram, plan: FfaPlan, count: int) -> list[int]:
    """Indices of the `count` highest peaks above the local background (`above_background`),
    each at least 5 plan steps from the others."""
    power = above_background(periodogram)
    head = min(power.size, 200 * count)
    top = np.argpartition(power, power.size - head)[power.size - head:]
    order = top[np.argsort(power[top], kind="stable")[::-1]]
    freq = periodogram.frequency
    step = plan.step[periodogram.group]
    chosen: list[int] = []
    for k in order:
        if all(abs(freq[k] - freq[c]) > 5.0 * max(step[k], step[c]) for c in chosen):
            chosen.append(int(k))
            if len(chosen) == count:
                break
    return chosen


def box_candidate(time: np.ndarray, y: np.ndarray, sigma: float, period: float, epoch: float,
                  duration: float) -> Candidate:
    """The box (period, epoch, duration) measured on every cadence: depth = mean outside the
    boxes - mean inside, its error from the per-cadence `sigma`, the log-likelihood gain
    0.5 (depth / error)^2 (astropy's likelihood objective with equal weights)."""
    distance = np.abs(fractional_part((time - epoch) / period + 0.5) - 0.5) * period
    inside = distance < 0.5 * duration
    n_in = int(np.count_nonzero(inside))
    n_out = y.size - n_in
    if n_in == 0 or n_out == 0:
        return Candidate(period, epoch, duration, 0.0, math.inf, 0.0, 0.0)
    sum_in = float(y[inside].sum())
    depth = (float(y.sum()) - sum_in) / n_out - sum_in / n_in
    depth_err = sigma * math.sqrt(1.0 / n_in + 1.0 / n_out)
    snr = depth / depth_err
    return Candidate(period, epoch, duration, depth, depth_err, snr,
                     0.5 * snr * snr if depth > 0 else 0.0)


def refine(
    time: np.ndarray,
    y: np.ndarray,
    sigma: float,
    frequency: float,
    step: float,
    max_duration: float = DURATION_MAX_D,
    centre: float | None = None,
    bin_width: float | None = None,
    level: float | None = None,
) -> Candidate:
    """Best box near `frequency` with the compiled astropy-equivalent kernel, on a local grid
    of REFINE_POINTS periods over +- REFINE_HALF_WIDTH_STEPS plan steps, with finer durations
    and phase bins. Given the peak's transit `centre` and the plan's `bin_width` (days), only
    the cadences near its transits are folded (the rest cannot enter any box of the local
    grid); the winner is then measured on every cadence (`box_candidate`). `level` is the
    median of `y` (given by a caller that refines several peaks of one flux)."""
    offsets = np.linspace(-REFINE_HALF_WIDTH_STEPS, REFINE_HALF_WIDTH_STEPS, REFINE_POINTS)
    periods = 1.0 / (frequency + step * offsets)
    low, high = duration_range(float(periods.min()), max_duration)
    n_dur = int(np.floor(np.log(high / low) / np.log(REFINE_DURATION_RATIO))) + 1
    durations = low * REFINE_DURATION_RATIO ** np.arange(n_dur)
    t, v = time, y
    if centre is not None and bin_width is not None:
        reach = 0.5 * high + REFINE_MARGIN_BINS * bin_width
        distance = np.abs(fractional_part((time - centre) * frequency + 0.5) - 0.5) / frequency
        near = distance <= reach
        # Out-of-box cadences on both sides of every transit set each box's local level.
        if np.count_nonzero(near) >= 2 * MIN_EVENTS:
            t, v = time[near], y[near]
    t_ref = float(time[0])
    ivar = np.full(v.size, 1.0 / sigma**2)
    power, _, _, duration, transit_time, _, _ = bls_binned(
        t - t_ref, v - (median(y) if level is None else level), ivar, periods, durations,
        REFINE_OVERSAMPLE, True
    )
    k = int(np.argmax(power))
    return box_candidate(time, y, sigma, float(periods[k]), float(t_ref + transit_time[k]),
                         float(duration[k]))


def _peak_centre(periodogram: Periodogram, plan: FfaPlan, trial: int) -> tuple[float, float]:
    """Mid-transit time of a trial's best box and the plan's phase bin (days) at it: the
    fold measures phase from the middle of the group's first time chunk."""
    g = int(periodogram.group[trial])
    frequency = float(periodogram.frequency[trial])
    n_bins = int(plan.n_bins[g])
    chunk = plan.baseline / (1 << int(plan.log2_rows[g]))
    phase = (periodogram.start_bin[trial] + 0.5 * periodogram.width_bins[trial]) / n_bins
    return plan.t_start + 0.5 * chunk + phase / frequency, 1.0 / (frequency * n_bins)


def search_detrended(
    time: np.ndarray,
    y: np.ndarray,
    sigma: float | None = None,
    oversample: float = OVERSAMPLE,
    period_min: float | None = None,
    period_max: float | None = None,
    max_duration: float = DURATION_MAX_D,
    parallel: bool = False,
) -> SearchResult:
    """Search the detrended relative flux `y` (flux / trend - 1) for periodic dips.

    `sigma` is the per-cadence white noise (default: robust sigma of `y`); powers are the
    log-likelihood improvement of the best box, 0.5 x (depth / depth error)^2 for equal weights.
    """
    time = np.ascontiguousarray(time, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if sigma is None:
        sigma = robust_sigma(y)
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError("search_detrended: the flux has no scatter (sigma must be > 0)")
    baseline = float(time[-1] - time[0])
    plan = plan_ffa(
        float(time[0]), baseline, time.size, period_min, period_max, oversample, max_duration
    )
    periodogram = ffa_periodogram(time, y, plan, parallel=parallel)
    scaled = Periodogram(
        frequency=periodogram.frequency,
        power=periodogram.power / sigma**2,
        depth=periodogram.depth,
        width_bins=periodogram.width_bins,
        start_bin=periodogram.start_bin,
        n_in=periodogram.n_in,
        group=periodogram.group,
    )
    peaks = _peak_trials(scaled, plan, N_REFINE)
    level = median(y)
    first = [(refine_peak(time, y, sigma, plan, scaled, k, max_duration, level), k)
             for k in peaks[:N_RANKED]]
    first.sort(key=lambda pair: -pair[0].log_likelihood)
    return SearchResult(
        plan=plan,
        periodogram=scaled,
        sde=signal_detection_efficiency(scaled.power),
        candidate=first[0][0],
        sigma=float(sigma),
        peak_trial=first[0][1],
        peaks=tuple(k for _, k in first) + tuple(peaks[N_RANKED:]),
        refined=tuple(c for c, _ in first),
    )


def refine_peak(time: np.ndarray, y: np.ndarray, sigma: float, plan: FfaPlan,
                periodogram: Periodogram, trial: int, max_duration: float,
                level: float | None = None) -> Candidate:
    """`refine` around one trial of the periodogram, on the cadences near its transits."""
    centre, bin_width = _peak_centre(periodogram, plan, trial)
    return refine(time, y, sigma, float(periodogram.frequency[trial]),
                  float(plan.step[periodogram.group[trial]]), max_duration, centre, bin_width,
                  level)


@dataclass(frozen=True)
class PeriodicSearch:
    """A search after cutting the single events that made earlier candidates."""

    result: SearchResult
    time: np.ndarray
    y: np.ndarray
    cut_events: tuple[float, ...]
    #: False when no candidate passed the depth-consistency test (the best that passed the
    #: single-event test, or the first result, is kept).
    consistent: bool = True


def is_single_event(single: SingleTransits) -> bool:
    return (
        single.n_detected < MIN_EVENTS
        or single.share_without_strongest() < MIN_SHARE_WITHOUT_STRONGEST
    )


def block_noise(y: np.ndarray, n_cadences: int) -> float:
    """Robust scatter of the means of consecutive `n_cadences`-cadence blocks of `y` (the
    noise of a box of that many cadences, red noise included)."""
    n_cadences = max(1, n_cadences)
    usable = y.size // n_cadences * n_cadences
    if usable < 3 * n_cadences:
        return robust_sigma(y) / np.sqrt(n_cadences)
    return robust_sigma(y[:usable].reshape(-1, n_cadences).mean(axis=1))


def red_noise_snr(time: np.ndarray, y: np.ndarray, cand: Candidate, sigma: float) -> float:
    """The candidate's SNR with its error from the scatter of flux means over its duration
    (`block_noise`) instead of the per-cadence `sigma`: its SNR over the red-noise factor
    beta (Pont et al. 2006). Beta is below 1 where the noise from one cadence to the next
    averages out faster than white noise (a star pulsating in minutes): the SNR is then
    above the per-cadence one. NaN for a candidate without an ephemeris (no box) or flux
    whose block means do not scatter at all."""
    if not is_box(cand):
        return math.nan
    n_duration = max(1, int(round(cand.duration / median_cadence(time, default=1.0))))
    beta = block_noise(y, n_duration) * math.sqrt(n_duration) / sigma
    return cand.snr / beta if beta > 0 else math.nan


def depth_chi2_pvalue(single: SingleTransits, y: np.ndarray, cadence: float) -> float:
    """How well the single-transit depths agree: the chi-square survival of their deviations
    about the weighted mean (`_depth_deviations`), or, when the star's own epochs half a
    period away scatter more than the noise model says (heavy tails, red noise that the
    robust block noise underrates), the F-test of the transits' mean square deviation
    against theirs: with thousands of epochs a model a few percent off would otherwise turn
    down every transit. 1 for fewer than 2 epochs."""
    if single.n_detected < 2:
        return 1.0
    n_duration = max(1, int(round(single.duration / cadence)))
    noise = block_noise(y, n_duration) ** 2 * n_duration
    squares = _depth_deviations(single, noise, DEPTH_SCATTER)
    if squares is None:
        return 1.0
    # scipy.stats.chi2.sf and f.sf, without loading scipy.stats.
    pvalue = float(chdtrc(single.n_detected - 1, squares))
    control = SingleTransits(single.time, y, single.period,
                             single.epoch + 0.5 * single.period, single.duration)
    control_squares = _depth_deviations(control, noise, 0.0)
    if control.n_detected < 2 or control_squares is None:
        return pvalue
    ratio = (squares / (single.n_detected - 1)) / (control_squares / (control.n_detected - 1))
    return max(pvalue, float(fdtrc(single.n_detected - 1, control.n_detected - 1, ratio)))


def _depth_deviations(single: SingleTransits, noise: float, scatter: float) -> float | None:
    """Sum of the squared deviations of the epochs' depths about their weighted mean, epoch i
    with variance `noise` / n_i and `scatter` x the mean depth in quadrature, deviations
    below the mean clipped at DEPTH_LOW_CLIP sigma; None when one is not finite."""
    depths = single.depths()
    var = noise / single.counts
    mean = float(np.sum(depths / var) / np.sum(1.0 / var))
    var = var + (scatter * max(mean, 0.0)) ** 2
    mean = float(np.sum(depths / var) / np.sum(1.0 / var))
    deviation = np.maximum((depths - mean) / np.sqrt(var), -DEPTH_LOW_CLIP)
    if not np.all(np.isfinite(deviation)):
        return None
    return float(np.sum(deviation**2))


def is_box(cand: Candidate) -> bool:
    """A candidate with a finite ephemeris (a flux that no box fits gives NaN)."""
    return all(math.isfinite(v) for v in (cand.period, cand.epoch, cand.duration))


def is_own_variability(cand: Candidate,
                       own_periods: tuple[tuple[float, float], ...] = ()) -> bool:
    """True when the candidate's period is within OWN_PERIOD_TOLERANCE of k x or 1/k x one
    of the star's own periods (k up to OWN_HARMONICS) whose variability is at least
    OWN_AMPLITUDE_RATIO times deeper than the box."""
    for own_period, amplitude in own_periods:
        if amplitude < OWN_AMPLITUDE_RATIO * max(cand.depth, 0.0):
            continue
        for k in range(1, OWN_HARMONICS + 1):
            for expected in (own_period * k, own_period / k):
                if abs(cand.period - expected) <= OWN_PERIOD_TOLERANCE * expected:
                    return True
    return False


class FoldedHarmonics:
    """The flux folded at a candidate's period (epoch at phase 0.5) in SINUSOID_PHASE_BINS
    phase bins, and least-squares fits of harmonics to it: folded once, it answers both the
    search's sinusoid pass (`ratio`) and the vetting (`is_sinusoid`)."""

    def __init__(self, time: np.ndarray, y: np.ndarray, cand: Candidate) -> None:
        self.y, self.cand = y, cand
        # With unit sigma the box's likelihood gain is half its reduction of squared residuals.
        self.box = 2.0 * box_candidate(time, y, 1.0, cand.period, cand.epoch,
                                       cand.duration).log_likelihood
        if self.box == 0.0:  # no dip (or no ephemeris): nothing to compare with
            return
        self.phase = fractional_part((time - cand.epoch) / cand.period + 0.5)
        index = np.minimum((self.phase * SINUSOID_PHASE_BINS).astype(np.int64),
                           SINUSOID_PHASE_BINS - 1)
        counts = np.bincount(index, minlength=SINUSOID_PHASE_BINS).astype(np.float64)
        sums = np.bincount(index, weights=y, minlength=SINUSOID_PHASE_BINS)
        used = counts > 0
        self.means = sums[used] / counts[used]
        self.centres = 2.0 * np.pi * (np.flatnonzero(used) + 0.5) / SINUSOID_PHASE_BINS
        self.root = np.sqrt(counts[used])
        mean = float(np.sum(sums) / np.sum(counts))
        self.before = float(np.sum(counts[used] * (self.means - mean) ** 2))

    def ratio(self, order: int = 1) -> float:
        """How much better SINUSOID_HARMONICS harmonics of `order` / the candidate's period
        fit the folded flux than its box does: the ratio of the reductions of the sum of
        squared residuals (equal weights; inf when the box is no dip). A transit's box leaves
        the harmonics a fraction of its reduction, spot or pulsation residuals give them more
        than the box."""
        if self.box == 0.0:
            return math.inf
        design = _harmonic_columns(self.centres, order) * self.root[:, None]
        coef, *_ = np.linalg.lstsq(design, self.means * self.root, rcond=None)
        after = float(np.sum((self.means * self.root - design @ coef) ** 2))
        return (self.before - after) / self.box

    def box_snr_beside(self, order: int, sigma: float) -> float:
        """The box's SNR when it is fitted together with those harmonics (on every cadence:
        the box is narrower than a phase bin at long periods): the square root of its
        reduction of the squared residuals beyond theirs, over the per-cadence `sigma`."""
        if self.box == 0.0:
            return 0.0
        inside = (np.abs(self.phase - 0.5) * self.cand.period < 0.5 * self.cand.duration)
        harmonics = _harmonic_columns(2.0 * np.pi * self.phase, order)
        joint = np.column_stack((harmonics, inside.astype(np.float64)))
        residual = []
        for design in (harmonics, joint):
            coef, *_ = np.linalg.lstsq(design, self.y, rcond=None)
            residual.append(float(np.sum((self.y - design @ coef) ** 2)))
        return math.sqrt(max(residual[0] - residual[1], 0.0)) / sigma

    def is_sinusoid(self, sigma: float) -> bool:
        """Whether the candidate's box is the trough of a sinusoid at its period or at up to
        SINUSOID_ORDERS times its frequency (see SINUSOID_ORDERS; `sigma` is the per-cadence
        noise of the flux); False without an ephemeris, True for a box with no dip (as in
        the search's pass, the harmonics explain more than nothing)."""
        if not is_box(self.cand):
            return False
        return any(self.ratio(order) > SINUSOID_MAX_RATIO
                   and self.box_snr_beside(order, sigma) < SINUSOID_BOX_SNR
                   for order in range(1, SINUSOID_ORDERS + 1))


def _harmonic_columns(angle: np.ndarray, order: int) -> np.ndarray:
    """A constant, then cos and sin of j x `order` x `angle` for j = 1 .. SINUSOID_HARMONICS."""
    columns = [np.ones(angle.size)]
    for j in range(1, SINUSOID_HARMONICS + 1):
        columns += [np.cos(j * order * angle), np.sin(j * order * angle)]
    return np.column_stack(columns)


def search_periodic(
    time: np.ndarray,
    y: np.ndarray,
    sigma: float | None = None,
    max_duration: float = DURATION_MAX_D,
    parallel: bool = False,
    own_periods: tuple[tuple[float, float], ...] = (),
) -> PeriodicSearch:
    """`search_detrended`, keeping the best refined peak that is not one event's doing and
    whose single-transit depths agree; else the best that is not one event's doing (flagged
    `consistent` False). Only when every refined peak is one event's doing (a glitch that
    dominates the periodogram) is that event cut and the search repeated, at most
    MAX_CUT_EVENTS times. A peak at one of the star's own periods (`own_periods`: period and
    semi-amplitude of its variability) or their harmonics is passed over as its residual. If
    no try yields a periodic candidate the first result is kept: a quiet star still gets the
    values of its best peak."""
    if sigma is None:
        sigma = robust_sigma(y)
    first: PeriodicSearch | None = None
    cadence = median_cadence(time, default=1.0)
    cut: list[float] = []
    for _ in range(MAX_CUT_EVENTS + 1):
        result = search_detrended(time, y, sigma=sigma, max_duration=max_duration,
                                  parallel=parallel)
        found = PeriodicSearch(result, time, y, tuple(cut))
        first = first or found
        #: The first candidate that only the depth-consistency test turned down.
        fallback: PeriodicSearch | None = None
        for index, trial in enumerate(result.peaks):
            cand = result.refined[index] if index < len(result.refined) else refine_peak(
                time, y, sigma, result.plan, result.periodogram, trial, max_duration)
            if not is_box(cand) or is_own_variability(cand, own_periods):
                continue
            single = SingleTransits(time, y, cand.period, cand.epoch, cand.duration)
            if is_single_event(single):
                continue
            chosen = PeriodicSearch(
                dataclasses.replace(
                    result, candidate=cand, peak_trial=trial,
                    sde=signal_detection_efficiency(result.periodogram.power, trial),
                ),
                time, y, tuple(cut),
            )
            if depth_chi2_pvalue(single, y, cadence) >= DEPTH_CHI2_PVALUE:
                return chosen
            fallback = fallback or dataclasses.replace(chosen, consistent=False)
        if fallback is not None:
            return fallback
        cand = result.candidate
        if not is_box(cand):
            break
        single = SingleTransits(time, y, cand.period, cand.epoch, cand.duration)
        if single.n_detected == 0:
            break
        strongest = float(single.centres[int(np.argmax(single.deficits()))])
        keep = np.abs(time - strongest) >= cand.duration
        keep[0] = keep[-1] = True  # the baseline (hence the periods searched) stays
        if keep.sum() < 0.5 * time.size:
            break
        time, y = time[keep], y[keep]
        cut.append(strongest)
    assert first is not None
    return dataclasses.replace(first, consistent=False)
