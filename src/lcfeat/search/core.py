"""The transit search: detrend, fast-fold every trial period, refine the best peaks.

1. `detrend_for_search`: wotan biweight with a window of 3 x the longest trial duration (45 h),
   so a 15-hour transit moves the robust location of its window by little and survives. When
   stellar variability survives that window (red noise: the scatter of 3-hour means is more
   than RED_NOISE_MAX times what white noise would give), the star's dominant variability is
   removed first (`prewhiten`: its period, 0.1 to 10 d, and 3 harmonics fitted in 5-day
   chunks, dips clipped), and shorter windows are tried in turn (1, 0.5, 0.3 d), the longest
   trial duration becoming a third of the window: a spotted star loses its longest trial
   durations instead of drowning every transit in spot residuals. The price: a smooth fit over
   a chunk absorbs a share of any transit in it (about parameters x in-transit cadences /
   chunk cadences: a third of a shallow 7-hour transit), so on variable stars long shallow
   transits lose depth (bench/bench_injection.py measures it). `detrend_ladder` also returns
   the longer windows tried before the chosen one, for the transit domain to search as well
   (compared by `whitened_snr`, the SNR against the noise at the candidate's duration).
2. `ffa_periodogram` over the plan of `grid.plan_ffa` (Ofir-density grid, durations tied
   to the period): the best dip box at every trial period; the signal detection efficiency
   (Kovacs et al. 2002) is that of the peak finally chosen.
3. The `N_REFINE` highest separate peaks are re-searched with the compiled astropy-equivalent
   kernel `bls_binned` on a local grid ten times finer than the plan's step, with finer
   durations and phase bins; the best of them is the candidate.
4. A candidate made by one event (a glitch, or one real dip whose other epochs fall in
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

from lcfeat.features.base import SEGMENT_GAP_DAYS, biweight_trend, robust_sigma
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

#: Detrending window for the search (days): 3 x the longest trial duration.
TREND_WINDOW_D = 3.0 * DURATION_MAX_D
#: Shorter windows tried in turn on variable stars (each caps the durations at a third of it).
TREND_WINDOWS_D = (TREND_WINDOW_D, 1.0, 0.5, 0.3)
#: Red-noise ratio above which the next, shorter window is tried.
RED_NOISE_MAX = 1.5
#: Cadences per bin when measuring red noise (6 long cadences: about 3 hours).
RED_NOISE_BIN = 6
#: Prewhitening: harmonics of the dominant period fitted per chunk (days), with a line.
PREWHITEN_HARMONICS = 4
PREWHITEN_CHUNK_D = 5.0
#: Dominant period searched between these frequencies (cycles per day) on flux binned to
#: two long cadences (Nyquist 12.2 per day).
PREWHITEN_FREQ_RANGE = (0.1, 12.0)
PREWHITEN_BIN_D = 2 * 0.0204340
#: Cadences further than this many robust sigma from the harmonic fit are refitted without.
PREWHITEN_CLIP_SIGMA = 3.0
#: A gap longer than this (days) splits the detrending into independent segments.
#: Cadences this close (days) to a segment's start or end are left out of the search: the
#: trend is least constrained there and Kepler's thermal settling after gaps makes dips.
EDGE_TRIM_D = 0.25
#: Flares (brightenings lasting a few cadences) are cut from the detrended flux before the
#: search: a cadence this many robust sigma above the running median of
#: FLARE_MEDIAN_CADENCES (6.5 hours: spot residuals follow it, flares do not) starts one,
#: and the cadences after it stay in it while above FLARE_DECAY_SIGMA (at most
#: FLARE_MAX_CADENCES). A flare inside a transit box raises its mean; dips are never cut.
FLARE_SIGMA = 3.0
FLARE_DECAY_SIGMA = 1.0
FLARE_MAX_CADENCES = 12
FLARE_MEDIAN_CADENCES = 13
#: Flares are cut only from a star that has them: its cadences FLARE_SIGMA above the running
#: median outnumber those as far below by this many Poisson sigma (white noise is symmetric,
#: so a quiet star's flux is searched untouched).
FLARE_EXCESS_SIGMA = 3.0
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


@dataclass(frozen=True)
class Detrended:
    """The flux prepared for the search: time, flux / trend - 1, and how it was made."""

    time: np.ndarray
    y: np.ndarray
    window: float
    red_noise: float
    prewhitened_period: float | None = None

    @property
    def max_duration(self) -> float:
        return min(DURATION_MAX_D, self.window / 3.0)


def search_trend(time: np.ndarray, flux: np.ndarray, window: float = TREND_WINDOW_D) -> np.ndarray:
    """Robust (biweight) trend of `flux` over `window` days, split at gaps."""
    return biweight_trend(time, flux, window)


def red_noise_ratio(y: np.ndarray, n_bin: int = RED_NOISE_BIN) -> float:
    """Robust scatter of n_bin-cadence means x sqrt(n_bin) over the point-to-point scatter:
    1 for white noise, larger when correlated (red) noise survives the detrending."""
    usable = y.size // n_bin * n_bin
    if usable < 3 * n_bin:
        return 1.0
    white = robust_sigma(np.diff(y)) / np.sqrt(2.0)
    if not (np.isfinite(white) and white > 0):
        return 1.0
    means = y[:usable].reshape(-1, n_bin).mean(axis=1)
    return float(robust_sigma(means) * np.sqrt(n_bin) / white)


def dominant_frequency(time: np.ndarray, flux: np.ndarray) -> float | None:
    """Frequency (per day) of the highest peak of the power spectrum of the flux binned to
    PREWHITEN_BIN_D, gaps set to the mean, zero-padded 4 x (an FFT: O(N log N))."""
    index = np.floor((time - time[0]) / PREWHITEN_BIN_D).astype(np.int64)
    n_bins = int(index[-1]) + 1
    counts = np.bincount(index, minlength=n_bins)
    sums = np.bincount(index, weights=flux - flux.mean(), minlength=n_bins)
    series = np.divide(sums, counts, out=np.zeros(n_bins), where=counts > 0)
    size = 1 << int(np.ceil(np.log2(4 * n_bins)))
    power = np.abs(np.fft.rfft(series, size)) ** 2
    freq = np.fft.rfftfreq(size, PREWHITEN_BIN_D)
    band = (freq >= PREWHITEN_FREQ_RANGE[0]) & (freq <= PREWHITEN_FREQ_RANGE[1])
    if not band.any() or not np.any(power[band] > 0):
        return None
    return float(freq[band][np.argmax(power[band])])


def prewhiten(time: np.ndarray, flux: np.ndarray, frequency: float) -> np.ndarray:
    """`flux` minus, in each PREWHITEN_CHUNK_D chunk, a least-squares line plus
    PREWHITEN_HARMONICS harmonics of `frequency`, refitted once without the cadences more
    than PREWHITEN_CLIP_SIGMA robust sigma from the first fit (transits, flares). Returns a
    flux around 1. The clipping keeps deep transits out of the fit; a shallow one loses about
    10 parameters x its cadences / ~240 cadences of its depth."""
    out = flux.copy()
    chunk = np.floor((time - time[0]) / PREWHITEN_CHUNK_D).astype(np.int64)
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(chunk)) + 1, [time.size]))
    n_par = 2 + 2 * PREWHITEN_HARMONICS
    harmonics = np.arange(1, PREWHITEN_HARMONICS + 1)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b - a < 3 * n_par:
            continue
        t = time[a:b] - time[a:b].mean()
        angle = 2.0 * np.pi * frequency * np.outer(t, harmonics)
        design = np.column_stack((np.ones_like(t), t, np.sin(angle), np.cos(angle)))
        coef, *_ = np.linalg.lstsq(design, flux[a:b], rcond=None)
        residual = flux[a:b] - design @ coef
        keep = np.abs(residual) <= PREWHITEN_CLIP_SIGMA * robust_sigma(residual)
        if n_par * 3 <= keep.sum() < keep.size:
            coef, *_ = np.linalg.lstsq(design[keep], flux[a:b][keep], rcond=None)
        out[a:b] = flux[a:b] - design @ coef + 1.0
    return out


def away_from_edges(time: np.ndarray, trim: float = EDGE_TRIM_D) -> np.ndarray:
    """True for cadences more than `trim` days from the start and end of their segment
    (segments split at gaps longer than SEGMENT_GAP_DAYS). Segments shorter than 4 x trim are
    kept whole rather than lost."""
    breaks = np.flatnonzero(np.diff(time) > SEGMENT_GAP_DAYS) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [time.size])) - 1
    segment = np.repeat(np.arange(starts.size), ends - starts + 1)
    t_start, t_end = time[starts][segment], time[ends][segment]
    keep = (time - t_start > trim) & (t_end - time > trim)
    return keep | (t_end - t_start < 4.0 * trim)


def _biweight_detrended(time: np.ndarray, flux: np.ndarray, window: float,
                        period: float | None) -> Detrended:
    trend = search_trend(time, flux, window)
    ok = np.isfinite(trend) & (trend > 0) & np.isfinite(flux) & away_from_edges(time)
    y = flux[ok] / trend[ok] - 1.0
    return Detrended(time[ok], y, window, red_noise_ratio(y), period)


def biweight_residuals(time: np.ndarray, flux: np.ndarray, window: float) -> np.ndarray:
    """flux / biweight trend - 1 over `window` days, edges of segments left out."""
    return _biweight_detrended(time, flux, window, None).y


def detrend_ladder(time: np.ndarray, flux: np.ndarray) -> list[Detrended]:
    """The search's detrendings, the chosen one first: the 45-hour biweight residual if it
    is white enough (red-noise ratio at most RED_NOISE_MAX); else the same after `prewhiten`,
    then with the shorter windows of TREND_WINDOWS_D, choosing the first that passes (the
    shortest when none does). When a shorter window is chosen, the longer ones tried before
    it (same prewhitened flux) follow: they keep the long transits that it would eat."""
    result = _biweight_detrended(time, flux, TREND_WINDOW_D, None)
    if result.red_noise <= RED_NOISE_MAX or time.size < 10:
        return [result]
    frequency = dominant_frequency(time, flux)
    period = None
    if frequency is not None:
        period = 1.0 / frequency
        flux = prewhiten(time, flux, frequency)
        result = _biweight_detrended(time, flux, TREND_WINDOW_D, period)
    longer: list[Detrended] = []
    for window in TREND_WINDOWS_D[1:]:
        if result.red_noise <= RED_NOISE_MAX:
            break
        longer.insert(0, result)
        result = _biweight_detrended(time, flux, window, period)
    return [result, *longer]


def _above_running_median(y: np.ndarray) -> np.ndarray:
    """`y` minus its running median over FLARE_MEDIAN_CADENCES: a flare (a few cadences)
    stands out of it, a smooth hump left by spots follows it."""
    from scipy.ndimage import median_filter

    return y - median_filter(y, size=FLARE_MEDIAN_CADENCES, mode="nearest")


def flare_mask(y: np.ndarray, sigma: float) -> np.ndarray:
    """True for the cadences of flares in the detrended flux `y` (noise `sigma`): from each
    cadence more than FLARE_SIGMA sigma above the running median, the decay while above
    FLARE_DECAY_SIGMA sigma, and the cadence before it (the rise). Upward only: a transit is
    never touched."""
    excess = _above_running_median(y)
    flare = excess > FLARE_SIGMA * sigma
    decaying = excess > FLARE_DECAY_SIGMA * sigma
    grown = flare.copy()
    for _ in range(FLARE_MAX_CADENCES):
        step = np.zeros_like(grown)
        step[1:] = grown[:-1] & decaying[1:]
        if not np.any(step & ~grown):
            break
        grown |= step
    grown[:-1] |= flare[1:]
    return grown


def has_flares(y: np.ndarray, sigma: float) -> bool:
    """True when the cadences more than FLARE_SIGMA sigma above the running median
    outnumber those as far below it by more than FLARE_EXCESS_SIGMA x the square root of
    their sum."""
    excess = _above_running_median(y)
    above = int(np.count_nonzero(excess > FLARE_SIGMA * sigma))
    below = int(np.count_nonzero(excess < -FLARE_SIGMA * sigma))
    return above - below > FLARE_EXCESS_SIGMA * np.sqrt(above + below)


def detrend_for_search(time: np.ndarray, flux: np.ndarray) -> Detrended:
    """The chosen detrending of `detrend_ladder`."""
    return detrend_ladder(time, flux)[0]


def whitened_snr(cand: Candidate, y: np.ndarray, sigma: float, cadence: float) -> float:
    """The candidate's SNR with the white per-cadence noise replaced by the noise of flux
    means over its duration (`block_noise`, red noise included): the scale on which
    candidates found on differently detrended flux are compared (as Kepler's TPS whitens)."""
    n_duration = max(1, int(round(cand.duration / cadence)))
    noise = block_noise(y, n_duration)
    if not (np.isfinite(noise) and noise > 0):
        return cand.snr
    return float(cand.snr * sigma / np.sqrt(n_duration) / noise)


def detrended(time: np.ndarray, flux: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time, flux / trend - 1) for the cadences where the search's trend is defined."""
    result = detrend_for_search(time, flux)
    return result.time, result.y


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


def search_transits(
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
        raise ValueError("search_transits: the flux has no scatter (sigma must be > 0)")
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


def search_periodic(
    time: np.ndarray,
    y: np.ndarray,
    sigma: float | None = None,
    max_duration: float = DURATION_MAX_D,
    parallel: bool = False,
) -> PeriodicSearch:
    """`search_transits`, keeping the best refined peak that is not one event's doing; when
    every refined peak is, the strongest event of the best is cut and the search repeated
    (see module doc). If no try yields a periodic candidate the first result is kept: a quiet
    star still gets the values of its best peak. Cuts are bounded by MAX_CUT_EVENTS and by a
    budget of CUT_BUDGET_CADENCES searched cadences, so long light curves stay fast."""
    if sigma is None:
        sigma = robust_sigma(y)
    first: PeriodicSearch | None = None
    #: The first candidate that only the depth-consistency test turned down.
    fallback: PeriodicSearch | None = None
    cadence = float(np.median(np.diff(time))) if time.size > 1 else 1.0
    cut: list[float] = []
    budget = CUT_BUDGET_CADENCES
    for _ in range(MAX_CUT_EVENTS + 1):
        result = search_transits(time, y, sigma=sigma, max_duration=max_duration,
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
