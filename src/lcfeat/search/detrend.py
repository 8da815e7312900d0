"""Detrending for the transit search.

`detrend_ladder`: wotan biweight with a window of 3 x the longest trial duration (45 h), so a
15-hour transit moves the robust location of its window by little and survives. When stellar
variability survives that window (red noise: the scatter of 3-hour means is more than
RED_NOISE_MAX times what white noise would give), the star's dominant variability is removed
first (`prewhiten`: its period, 0.1 to 10 d, and 3 harmonics fitted in 5-day chunks, dips
clipped), and shorter windows are tried in turn (1, 0.5, 0.3 d), the longest trial duration
becoming a third of the window: a spotted star loses its longest trial durations instead of
drowning every transit in spot residuals. The price: a smooth fit over a chunk absorbs a share
of any transit in it (about parameters x in-transit cadences / chunk cadences: a third of a
shallow 7-hour transit), so on variable stars long shallow transits lose depth
(bench/bench_injection.py measures it). `detrend_ladder` also returns the longer windows tried
before the chosen one, for the search to try as well.

Flares (`flare_mask`, `has_flares`) are found in the detrended flux: brightenings of a few
cadences, cut before the search on a star that has them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcfeat.lightcurve.robust import SEGMENT_GAP_DAYS, biweight_trend, robust_sigma
from lcfeat.search.grid import DURATION_MAX_D

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



def detrended(time: np.ndarray, flux: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time, flux / trend - 1) for the cadences where the search's trend is defined."""
    result = detrend_for_search(time, flux)
    return result.time, result.y

