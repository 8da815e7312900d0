"""The search on detrended flux: fast-fold every trial period, refine the best peaks, and
pass over candidates that are not periodic evidence.

1. `ffa_periodogram` over the plan of `grid.plan_ffa` (Ofir-density grid, durations tied
   to the period): the best dip box at every trial period; the signal detection efficiency
   (Kovacs et al. 2002) is that of the peak finally chosen.
2. The `N_REFINE` highest separate peaks are re-searched with the compiled astropy-equivalent
   kernel `bls_binned` on a local grid ten times finer than the plan's step, with finer
   durations and phase bins; the best of them is the candidate.
3. A candidate made by one event (a glitch, or one real dip whose other epochs fall in
   gaps: fewer than `MIN_EVENTS` epochs with data, or less than half its likelihood left
   without its strongest epoch) is not periodic evidence: the next refined peak is taken, and
   when all are such, the strongest event is cut and the search repeated (`search_periodic`).
   A candidate whose single-transit depths scatter more than the noise at its duration allows
   (`depth_chi2_pvalue`: a few unrelated spot or systematic dips lined up) is passed over the
   same way, but kept as the answer if nothing better is found (`consistent` False).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lcfeat.lightcurve.robust import robust_sigma
from lcfeat.search.bls import bls_binned
from lcfeat.search.epochs import SingleTransits
from lcfeat.search.ffa import Periodogram, ffa_periodogram
from lcfeat.search.grid import (
    DURATION_MAX_D,
    OVERSAMPLE,
    FfaPlan,
    duration_range,
    plan_ffa,
)

#: Number of separate periodogram peaks refined with the exact kernel.
N_REFINE = 4
#: Local refinement: +- this many plan steps around a peak, in steps of a tenth.
REFINE_HALF_WIDTH_STEPS = 2.0
REFINE_POINTS = 41
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
#: Events cut (and searches repeated) at most, and the cadences all the searches of one
#: light curve may cover together (three full 17-quarter searches), to bound the cost.
MAX_CUT_EVENTS = 6
CUT_BUDGET_CADENCES = 200_000


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
    #: Every refined peak, best (highest log-likelihood) first, with its periodogram trial.
    ranked: tuple[tuple[Candidate, int], ...] = ()




def whitened_snr(cand: Candidate, y: np.ndarray, sigma: float, cadence: float) -> float:
    """The candidate's SNR with the white per-cadence noise replaced by the noise of flux
    means over its duration (`block_noise`, red noise included): the scale on which
    candidates found on differently detrended flux are compared (as Kepler's TPS whitens)."""
    n_duration = max(1, int(round(cand.duration / cadence)))
    noise = block_noise(y, n_duration)
    if not (np.isfinite(noise) and noise > 0):
        return cand.snr
    return float(cand.snr * sigma / np.sqrt(n_duration) / noise)





def signal_detection_efficiency(power: np.ndarray, trial: int | None = None) -> float:
    """(peak - mean) / standard deviation of the spectrum, the peak being the highest power
    or that of `trial`; 0 for a flat spectrum."""
    spread = float(np.std(power))
    if not np.isfinite(spread) or spread == 0.0:
        return 0.0
    peak = power.max() if trial is None else power[trial]
    return float((peak - power.mean()) / spread)


def _peak_trials(periodogram: Periodogram, plan: FfaPlan, count: int) -> list[int]:
    """Indices of the `count` highest peaks, each at least 5 plan steps from the others."""
    order = np.argsort(periodogram.power, kind="stable")[::-1]
    freq = periodogram.frequency
    step = plan.step[periodogram.group]
    chosen: list[int] = []
    for k in order[: 200 * count]:
        if all(abs(freq[k] - freq[c]) > 5.0 * max(step[k], step[c]) for c in chosen):
            chosen.append(int(k))
            if len(chosen) == count:
                break
    return chosen


def refine(
    time: np.ndarray,
    y: np.ndarray,
    sigma: float,
    frequency: float,
    step: float,
    max_duration: float = DURATION_MAX_D,
) -> Candidate:
    """Best box near `frequency` with the compiled astropy-equivalent kernel."""
    offsets = np.linspace(-REFINE_HALF_WIDTH_STEPS, REFINE_HALF_WIDTH_STEPS, REFINE_POINTS)
    periods = 1.0 / (frequency + step * offsets)
    low, high = duration_range(float(periods.min()), max_duration)
    n_dur = int(np.floor(np.log(high / low) / np.log(REFINE_DURATION_RATIO))) + 1
    durations = low * REFINE_DURATION_RATIO ** np.arange(n_dur)
    t_ref = float(time[0])
    ivar = np.full(y.size, 1.0 / sigma**2)
    power, depth, depth_err, duration, transit_time, snr, loglike = bls_binned(
        time - t_ref, y - np.median(y), ivar, periods, durations, REFINE_OVERSAMPLE, True
    )
    k = int(np.argmax(power))
    return Candidate(
        period=float(periods[k]),
        epoch=float(t_ref + transit_time[k]),
        duration=float(duration[k]),
        depth=float(depth[k]),
        depth_err=float(depth_err[k]),
        snr=float(snr[k]),
        log_likelihood=float(loglike[k]),
    )


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
    candidates = [
        refine(time, y, sigma, float(scaled.frequency[k]), float(plan.step[scaled.group[k]]),
               max_duration)
        for k in peaks
    ]
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].log_likelihood)
    best = order[0]
    return SearchResult(
        plan=plan,
        periodogram=scaled,
        sde=signal_detection_efficiency(scaled.power),
        candidate=candidates[best],
        sigma=float(sigma),
        peak_trial=peaks[best],
        ranked=tuple((candidates[i], peaks[i]) for i in order),
    )


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


def depth_chi2_pvalue(single: SingleTransits, y: np.ndarray, cadence: float) -> float:
    """Chi-square survival of the single-transit depths about their weighted mean, epoch i
    with noise block_noise(D) x sqrt(n_D / n_i) and DEPTH_SCATTER x depth in quadrature,
    deviations below the mean clipped at DEPTH_LOW_CLIP sigma; 1 for fewer than 2 epochs."""
    from scipy.stats import chi2

    if single.n_detected < 2:
        return 1.0
    n_duration = max(1, int(round(single.duration / cadence)))
    depths = single.depths()
    var = block_noise(y, n_duration) ** 2 * n_duration / single.counts
    mean = float(np.sum(depths / var) / np.sum(1.0 / var))
    var = var + (DEPTH_SCATTER * max(mean, 0.0)) ** 2
    mean = float(np.sum(depths / var) / np.sum(1.0 / var))
    deviation = np.maximum((depths - mean) / np.sqrt(var), -DEPTH_LOW_CLIP)
    if not np.all(np.isfinite(deviation)):
        return 1.0
    return float(chi2.sf(float(np.sum(deviation**2)), single.n_detected - 1))


def median_cadence(time: np.ndarray) -> float:
    """The median time step between cadences, over positive steps only: repeated time stamps
    must not make it zero (it divides durations). 1.0 when there is no positive step."""
    steps = np.diff(time)
    steps = steps[steps > 0]
    return float(np.median(steps)) if steps.size else 1.0


def search_periodic(
    time: np.ndarray,
    y: np.ndarray,
    sigma: float | None = None,
    max_duration: float = DURATION_MAX_D,
    parallel: bool = False,
) -> PeriodicSearch:
    """`search_detrended`, keeping the best refined peak that is not one event's doing; when
    every refined peak is, the strongest event of the best is cut and the search repeated
    (see module doc). If no try yields a periodic candidate the first result is kept: a quiet
    star still gets the values of its best peak. Cuts are bounded by MAX_CUT_EVENTS and by a
    budget of CUT_BUDGET_CADENCES searched cadences, so long light curves stay fast."""
    if sigma is None:
        sigma = robust_sigma(y)
    first: PeriodicSearch | None = None
    #: The first candidate that only the depth-consistency test turned down.
    fallback: PeriodicSearch | None = None
    cadence = median_cadence(time)
    cut: list[float] = []
    budget = CUT_BUDGET_CADENCES
    for _ in range(MAX_CUT_EVENTS + 1):
        result = search_detrended(time, y, sigma=sigma, max_duration=max_duration,
                                 parallel=parallel)
        budget -= time.size
        found = PeriodicSearch(result, time, y, tuple(cut))
        first = first or found
        for cand, trial in result.ranked:
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
        cand = result.candidate
        single = SingleTransits(time, y, cand.period, cand.epoch, cand.duration)
        strongest = float(single.centres[int(np.argmax(single.deficits()))])
        keep = np.abs(time - strongest) >= cand.duration
        if budget < time.size or keep.sum() < 0.5 * time.size:
            break
        time, y = time[keep], y[keep]
        cut.append(strongest)
    return fallback or dataclasses.replace(first, consistent=False)
