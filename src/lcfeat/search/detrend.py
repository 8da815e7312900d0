"""Detrending for the transit search: one choice per star, made from the star's own noise.

1. wotan biweight with a window of 3 x the longest trial duration (45 h), so a 15-hour
   transit moves the robust location of its window by little and survives.
2. When stellar variability survives that window (red noise: the scatter of 3-hour means is
   more than RED_NOISE_MAX times what white noise would give; the white noise is the smaller
   of the point-to-point scatter and the floor of the power spectrum, as a contact binary of
   a few hours fills the first with its own slope), the star's periodic
   variability is fitted out first (`prewhiten`): its dominant period, from an FFT of the
   binned flux, or twice it when the two halves of the folded light curve differ (the
   unequal minima of a contact binary, two spot groups), with PREWHITEN_HARMONICS harmonics
   and a line, fitted in PREWHITEN_CHUNK_D chunks of two chunkings offset by half a chunk and
   blended with triangular weights. The model is continuous: no chunk edge leaves a step at
   fixed times (an edge repeating every 5 days was once found as a 5-day period).
3. Then shorter biweight windows are tried in turn (1, 0.5, 0.3 d) until the residual is white
   enough; the longest trial duration becomes a third of the chosen window. Each window costs
   one biweight (tens of milliseconds on 65,000 cadences), never a periodogram.

The chosen detrending keeps the 45-hour one beside it (`Detrended.long`) when a shorter window
was chosen: the search measures its candidates on both (a short window eats part of a long
transit). Cadences within EDGE_TRIM_D of a segment's edge are left out (thermal settling after
gaps makes dips); on a light curve of a few days the trim shrinks with the baseline.

Bright excursions (`flare_mask`) are found in the detrended flux and cut before the search
of every star; a star whose excursions are flares (`has_flares`: events of several cadences,
not lone glitches) has them cut before it is detrended (`search.transits`), or, when they
show only in the detrended flux and made it choose a shorter window (or one is huge), is
detrended again without them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numba import njit

from lcfeat.lightcurve.robust import (
    KEPLER_CADENCE_D,
    MAD_TO_SIGMA,
    SEGMENT_GAP_DAYS,
    binned_means,
    biweight_trend,
    cadences_in,
    median_cadence,
    median_in_place,
    odd_cadences_in,
    robust_sigma,
    running_median,
    trend_stride,
    true_runs,
)
from lcfeat.search.epochs import fractional_part
from lcfeat.search.grid import DURATION_MAX_D

#: Detrending window for the search (days): 3 x the longest trial duration.
TREND_WINDOW_D = 3.0 * DURATION_MAX_D
#: Shorter windows tried in turn on variable stars (each caps the durations at a third of it).
TREND_WINDOWS_D = (TREND_WINDOW_D, 1.0, 0.5, 0.3)
#: The longest trial duration is the window over this: a biweight window keeps about
#: 1 - duration / window of a shallow transit's depth (half of it at the longest duration).
WINDOW_PER_DURATION = 2.0
#: Red-noise ratio above which the next, shorter window is tried.
RED_NOISE_MAX = 1.5
#: Bins of 2.94 hours (6 Kepler long cadences) when measuring red noise, in cadences of the
#: light curve.
RED_NOISE_BIN_D = 6 * KEPLER_CADENCE_D
RED_NOISE_BIN = 6
#: Prewhitening: harmonics of the base period fitted per chunk (days), with a line; twice as
#: many when the base is half the dominant frequency (so the dominant one's four stay).
PREWHITEN_HARMONICS = 4
PREWHITEN_CHUNK_D = 5.0
#: The folded light curve's halves (at twice the dominant period) differ when the RMS of
#: their difference is this many times what the noise of the binned profile allows.
HALF_PERIOD_DIFFERENCE_SIGMA = 5.0
#: Phase bins of that folded profile.
FOLD_BINS = 50
#: Periodicities fitted out in turn at most (spots at different latitudes rotate at
#: different rates: one frequency leaves the others).
PREWHITEN_COMPONENTS = 3
#: The semi-amplitude of the variability is measured on the flux binned to this (days): the
#: white noise averages out, a rotation of half a day does not.
AMPLITUDE_BIN_D = 0.1
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
#: ... at most this fraction of the baseline (a ten-day light curve keeps its edges).
EDGE_TRIM_FRACTION = 0.02
#: Flares (brightenings lasting a few hours at most) are cut from the detrended flux before
#: the search: a cadence this many robust sigma above the running median over FLARE_MEDIAN_D
#: (6.4 hours, 13 Kepler long cadences: spot residuals follow it, flares do not) starts one,
#: and the cadences after it stay in it while above FLARE_DECAY_SIGMA (for at most
#: FLARE_MAX_D, 5.9 hours, 12 Kepler long cadences). Both are taken in cadences of the light
#: curve. A flare inside a transit box raises its mean; dips are never cut.
FLARE_SIGMA = 3.0
FLARE_DECAY_SIGMA = 1.0
FLARE_MAX_D = 12 * KEPLER_CADENCE_D
FLARE_MEDIAN_D = 13 * KEPLER_CADENCE_D
#: A star has flares when its runs of at least FLARE_MIN_CADENCES cadences FLARE_SIGMA above
#: the running median outnumber those as far below by this many Poisson sigma (white noise
#: is symmetric): then it is detrended without them. A flare rises and decays over
#: several long cadences; a lone bright cadence is a glitch (real Kepler noise has hundreds:
#: counted, they made nine of ten quiet stars of the population bench "flaring" and had them
#: detrended twice; they are cut from every star's search, which needs no new trend).
FLARE_EXCESS_SIGMA = 3.0
FLARE_MIN_CADENCES = 2
#: A flare peaking more than BIG_FLARE_SIGMA sigma above the trend has a slow tail that
#: outlasts its cut and lifts the trend around it into dips on both sides (read one by one
#: on the population bench: the dips that outranked transits on flaring stars lay within
#: 5 hours of flares of 400-1200 sigma): the cadences within BIG_FLARE_WAKE_D of it are left
#: out of the search as well ...
BIG_FLARE_SIGMA = 20.0
BIG_FLARE_WAKE_D = 0.25
#: ... unless those wakes would cover more than this fraction of the light curve: then the
#: "flares" are a feature of every cycle of the star (a contact binary's maxima), not rare
#: events, and cutting around them would cut the light curve.
MAX_WAKE_FRACTION = 0.1


@dataclass(frozen=True)
class Detrended:
    """The flux prepared for the search: time, flux / trend - 1, and how it was made."""

    time: np.ndarray
    y: np.ndarray
    window: float
    red_noise: float
    #: The periodic variability fitted out (`prewhiten`): (period in days, semi-amplitude in
    #: relative flux) of each component, strongest first ...
    fitted: tuple[tuple[float, float], ...] = ()
    #: ... and the number of harmonics fitted for each.
    harmonics: tuple[int, ...] = ()
    #: The star's strongest periodicity, (period, semi-amplitude), whether fitted out or not.
    variability: tuple[float, float] | None = None
    #: The 45-hour detrending of the same (prewhitened) flux, when a shorter window was chosen.
    long: Detrended | None = None

    @property
    def prewhitened_period(self) -> float | None:
        """Period (days) of the strongest variability fitted out, if any."""
        return self.fitted[0][0] if self.fitted else None

    @property
    def own_periods(self) -> tuple[tuple[float, float], ...]:
        """Every periodicity of the star itself (period, semi-amplitude): what was fitted
        out, and the strongest one when nothing was."""
        if self.fitted:
            return self.fitted
        return (self.variability,) if self.variability is not None else ()

    @property
    def max_duration(self) -> float:
        return min(DURATION_MAX_D, self.window / WINDOW_PER_DURATION)



def search_trend(time: np.ndarray, flux: np.ndarray, window: float = TREND_WINDOW_D,
                 cadence: float | None = None) -> np.ndarray:
    """Robust (biweight) trend of `flux` over `window` days, split at gaps, computed every
    `trend_stride` cadences and linearly interpolated between (`cadence`: the light curve's,
    measured when not given)."""
    if cadence is None:
        cadence = median_cadence(time)
    return biweight_trend(time, flux, window, trend_stride(window, cadence))


def red_noise_bin(cadence: float) -> int:
    """RED_NOISE_BIN_D in cadences of `cadence` days (at least 2): the `n_bin` of
    `red_noise_ratio` for a light curve of that cadence."""
    return cadences_in(RED_NOISE_BIN_D, cadence, 2)


def red_noise_ratio(y: np.ndarray, n_bin: int = RED_NOISE_BIN) -> float:
    """Robust scatter of n_bin-cadence means x sqrt(n_bin) over the white noise: 1 for
    white noise, larger when correlated (red) noise survives the detrending. The white noise
    is the smaller of two estimates that each overestimate it in their own way: the
    point-to-point scatter (a star that changes within a few cadences) and `spectral_noise`
    (flares, red noise). `n_bin` is RED_NOISE_BIN_D in cadences of the light curve."""
    usable = y.size // n_bin * n_bin
    if usable < 3 * n_bin:
        return 1.0
    white = min(robust_sigma(np.diff(y)) / np.sqrt(2.0), spectral_noise(y))
    if not (np.isfinite(white) and white > 0):
        return 1.0
    means = y[:usable].reshape(-1, n_bin).mean(axis=1)
    return float(robust_sigma(means) * np.sqrt(n_bin) / white)


def spectral_noise(y: np.ndarray) -> float:
    """Per-cadence white noise from the floor of the power spectrum of `y`, taken in cadence
    order (its median power: an exponential variable's median is ln 2 x its mean). A star
    that changes within a few cadences (a contact binary of a few hours) puts its power in a
    few lines, which hardly move the median, where its slope fills the point-to-point
    scatter; flares and red noise lift it."""
    if y.size < 4:
        return float("inf")
    # Zero padding to a power of two keeps every frequency's expected power (N sigma^2).
    power = np.abs(np.fft.rfft(y - y.mean(), 1 << (y.size - 1).bit_length())[1:]) ** 2
    return float(np.sqrt(median_in_place(power) / (y.size * np.log(2.0))))


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


def variability_amplitude(time: np.ndarray, flux: np.ndarray) -> float:
    """Semi-amplitude of the flux's variability: sqrt(2) x the standard deviation of its
    AMPLITUDE_BIN_D means (a sinusoid's, for a sinusoid)."""
    _, means = binned_means(time, flux, AMPLITUDE_BIN_D)
    return float(np.sqrt(2.0) * np.std(means)) if means.size > 1 else 0.0


def base_frequency(time: np.ndarray, flux: np.ndarray, frequency: float) -> float:
    """`frequency`, or half of it when the light curve folded at twice the period has halves
    that differ by more than its noise allows (a contact binary's unequal minima: the FFT
    peaks at twice the orbital frequency)."""
    phase = fractional_part((time - time[0]) * 0.5 * frequency)
    index = np.minimum((phase * FOLD_BINS).astype(np.int64), FOLD_BINS - 1)
    counts = np.bincount(index, minlength=FOLD_BINS)
    if np.any(counts < 2):
        return frequency
    profile = np.bincount(index, weights=flux, minlength=FOLD_BINS) / counts
    difference = profile[: FOLD_BINS // 2] - profile[FOLD_BINS // 2:]
    # The noise of a bin mean, from the scatter about the profile (spot evolution included).
    scatter = robust_sigma(flux - profile[index])
    noise = scatter * np.sqrt(1.0 / counts[: FOLD_BINS // 2] + 1.0 / counts[FOLD_BINS // 2:])
    rms_sigma = np.sqrt(np.mean((difference / noise) ** 2))
    # White noise gives an RMS of 1 in units of the noise.
    return 0.5 * frequency if rms_sigma > HALF_PERIOD_DIFFERENCE_SIGMA else frequency


@njit(cache=True, nogil=True)
def _harmonic_design(t: np.ndarray, frequency: float, harmonics: int) -> np.ndarray:
    """Columns 1, t, sin and cos of k x 2 pi `frequency` t for k = 1 .. `harmonics`; the
    higher harmonics by the angle-addition recurrence from the first (two trigonometric
    calls per cadence instead of 2 x `harmonics`; equal to them within 1e-14)."""
    n_par = 2 + 2 * harmonics
    design = np.empty((t.size, n_par))
    omega = 2.0 * np.pi * frequency
    for i in range(t.size):
        design[i, 0] = 1.0
        design[i, 1] = t[i]
        sin_1 = np.sin(omega * t[i])
        cos_1 = np.cos(omega * t[i])
        sin_k = sin_1
        cos_k = cos_1
        for k in range(harmonics):
            design[i, 2 + k] = sin_k
            design[i, 2 + harmonics + k] = cos_k
            sin_k, cos_k = sin_k * cos_1 + cos_k * sin_1, cos_k * cos_1 - sin_k * sin_1
    return design


@njit(cache=True, nogil=True)
def _solved(normal: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """The solution of the normal equations (`normal` symmetric; its upper triangle is read)
    with a ridge of 1e-12 x its trace, which keeps them solvable when every cadence lies at
    one phase, by Cholesky: a system of at most 18 unknowns, solved twice per chunk, where
    LAPACK's call cost more than the arithmetic."""
    n = rhs.size
    ridge = 1e-12 * (np.trace(normal) + 1.0)
    lower = np.zeros((n, n))
    for j in range(n):
        diagonal = normal[j, j] + ridge
        for k in range(j):
            diagonal -= lower[j, k] * lower[j, k]
        root = np.sqrt(diagonal)
        lower[j, j] = root
        for i in range(j + 1, n):
            value = normal[j, i]
            for k in range(j):
                value -= lower[i, k] * lower[j, k]
            lower[i, j] = value / root
    solution = np.empty(n)
    for i in range(n):
        value = rhs[i]
        for k in range(i):
            value -= lower[i, k] * solution[k]
        solution[i] = value / lower[i, i]
    for i in range(n - 1, -1, -1):
        value = solution[i]
        for k in range(i + 1, n):
            value -= lower[k, i] * solution[k]
        solution[i] = value / lower[i, i]
    return solution


@njit(cache=True, nogil=True)
def _chunk_models(time: np.ndarray, flux: np.ndarray, bounds: np.ndarray, centres: np.ndarray,
                  frequency: float, harmonics: int, clip: float, min_points: int) -> np.ndarray:
    """`_chunk_model`'s loop over chunks, compiled: per chunk, the least-squares fit of the
    columns of `_harmonic_design` (t centred on the chunk: well conditioned) by its normal
    equations, then the fit again without the cadences more than `clip` robust sigma from
    the first, whose terms are taken out of the same normal equations (a few per chunk)
    instead of summing the rest again; a fit needs `min_points` cadences."""
    model = np.empty_like(flux)
    for c in range(bounds.size - 1):
        a, b = bounds[c], bounds[c + 1]
        if b - a < min_points:
            model[a:b] = np.median(flux[a:b])
            continue
        design = _harmonic_design(time[a:b] - centres[a], frequency, harmonics)
        y = flux[a:b]
        transposed = np.ascontiguousarray(design.T)
        normal = transposed @ design
        rhs = transposed @ y
        fit = design @ _solved(normal, rhs)
        residual = y - fit
        # robust sigma (the MAD scaled to sigma) of the residual about its median
        spread = MAD_TO_SIGMA * np.median(np.abs(residual - np.median(residual)))
        clipped = np.flatnonzero(np.abs(residual) > clip * spread)
        if 0 < clipped.size <= b - a - min_points:
            for i in clipped:
                for p in range(rhs.size):
                    rhs[p] -= design[i, p] * y[i]
                    for q in range(p, rhs.size):  # the upper triangle: all `_solved` reads
                        normal[p, q] -= design[i, p] * design[i, q]
            fit = design @ _solved(normal, rhs)
        model[a:b] = fit
    return model


def _merged_short_chunks(time: np.ndarray, bounds: np.ndarray, min_points: int) -> np.ndarray:
    """Chunk `bounds` (start of each chunk, then the end) with every chunk of fewer than
    `min_points` cadences joined to the neighbour nearest in time, while the light curve has
    more than one chunk. Where data start or stop (a gap, a quarter's end) a chunk can hold
    a few hours of data: alone it would get its median for a model, a step as large as the
    variability beside the other chunking's fit (a contact binary's 5% left whole)."""
    bounds = [int(b) for b in bounds]
    while len(bounds) > 2:
        counts = np.diff(bounds)
        short = int(np.argmin(counts))
        if counts[short] >= min_points:
            break
        if short == 0:
            joined = 1
        elif short == counts.size - 1:
            joined = short
        else:
            before = time[bounds[short]] - time[bounds[short] - 1]
            after = time[bounds[short + 1]] - time[bounds[short + 1] - 1]
            joined = short if before <= after else short + 1
        del bounds[joined]
    return np.asarray(bounds, dtype=np.int64)


def _chunk_model(time: np.ndarray, flux: np.ndarray, frequency: float, harmonics: int,
                 start: float) -> tuple[np.ndarray, np.ndarray]:
    """A line plus `harmonics` harmonics of `frequency` fitted by least squares in each
    PREWHITEN_CHUNK_D chunk counted from `start` (a chunk too short for the fit joined to its
    nearest neighbour: `_merged_short_chunks`), refitted once without the cadences more than
    PREWHITEN_CLIP_SIGMA robust sigma from the first fit (transits, flares). Returns the model
    and each cadence's nominal chunk centre; a light curve too short for one fit gets its
    median."""
    chunk = np.floor((time - start) / PREWHITEN_CHUNK_D).astype(np.int64)
    centres = start + (chunk + 0.5) * PREWHITEN_CHUNK_D
    # Three cadences per coefficient (a line and a sine and cosine per harmonic) for a fit.
    min_points = 3 * (2 + 2 * harmonics)
    bounds = _merged_short_chunks(time, np.concatenate(
        ([0], np.flatnonzero(np.diff(chunk)) + 1, [time.size])), min_points)
    model = _chunk_models(np.ascontiguousarray(time, dtype=np.float64),
                          np.ascontiguousarray(flux, dtype=np.float64), bounds.astype(np.int64),
                          centres, float(frequency), int(harmonics), PREWHITEN_CLIP_SIGMA,
                          min_points)
    return model, centres


def prewhiten(time: np.ndarray, flux: np.ndarray, frequency: float,
              harmonics: int = PREWHITEN_HARMONICS) -> np.ndarray:
    """`flux` minus its periodic variability at `frequency` (`variability_model`), around 1."""
    return flux - variability_model(time, flux, frequency, harmonics) + 1.0


def variability_model(time: np.ndarray, flux: np.ndarray, frequency: float,
                      harmonics: int = PREWHITEN_HARMONICS) -> np.ndarray:
    """The periodic variability of `flux` at `frequency` (see the module doc): `prewhiten`
    subtracts it.

    Two chunkings, the second offset by half a chunk, each cadence's model the average of its
    two chunks' fits weighted by its distance to their centres (1 at a centre, 0 at an edge:
    the weights sum to 1). Where one chunking's fit jumps, its weight is zero, so the model is
    continuous. The clipping keeps deep transits out of the fit; a shallow one loses about
    parameters x its cadences / cadences per chunk of its depth."""
    half = 0.5 * PREWHITEN_CHUNK_D
    first, first_centres = _chunk_model(time, flux, frequency, harmonics, time[0])
    second, _ = _chunk_model(time, flux, frequency, harmonics, time[0] - half)
    weight = 1.0 - np.abs(time - first_centres) / half
    return weight * first + (1.0 - weight) * second


def periodic_model(time: np.ndarray, flux: np.ndarray, frequency: float
                   ) -> tuple[np.ndarray, float, int]:
    """The variability at the dominant `frequency` (`variability_model`) fitted at its base
    frequency (`base_frequency`: half of it for unequal minima) with PREWHITEN_HARMONICS
    harmonics per `frequency` (twice as many at half of it, so the dominant one's stay):
    the model, the base frequency and the number of harmonics."""
    base = base_frequency(time, flux, frequency)
    harmonics = PREWHITEN_HARMONICS * round(frequency / base)
    return variability_model(time, flux, base, harmonics), base, harmonics


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


def edge_trim(time: np.ndarray) -> float:
    """EDGE_TRIM_D, or less on a short light curve (EDGE_TRIM_FRACTION of its baseline)."""
    baseline = float(time[-1] - time[0]) if time.size else 0.0
    return min(EDGE_TRIM_D, EDGE_TRIM_FRACTION * baseline)


@dataclass(frozen=True)
class _Sampling:
    """What the detrendings of one light curve share: its cadences away from segment edges
    and its cadence (computed once, not per window tried)."""

    inside: np.ndarray
    cadence: float

    @classmethod
    def of(cls, time: np.ndarray) -> _Sampling:
        return cls(away_from_edges(time, edge_trim(time)), median_cadence(time))

    @property
    def red_noise_bin(self) -> int:
        return red_noise_bin(self.cadence)


def _biweight_detrended(time: np.ndarray, flux: np.ndarray, window: float,
                        sampling: _Sampling | None = None) -> Detrended:
    if sampling is None:
        sampling = _Sampling.of(time)
    trend = search_trend(time, flux, window, sampling.cadence)
    ok = np.isfinite(trend) & (trend > 0) & np.isfinite(flux) & sampling.inside
    y = flux[ok] / trend[ok] - 1.0
    return Detrended(time[ok], y, window, red_noise_ratio(y, sampling.red_noise_bin))


def biweight_residuals(time: np.ndarray, flux: np.ndarray, window: float) -> np.ndarray:
    """flux / biweight trend - 1 over `window` days, edges of segments left out."""
    return _biweight_detrended(time, flux, window).y


def detrend_for_search(time: np.ndarray, flux: np.ndarray) -> Detrended:
    """The search's detrending (module doc): the 45-hour biweight residual if it is white
    enough (red-noise ratio at most RED_NOISE_MAX); else the same after `prewhiten` (up to
    PREWHITEN_COMPONENTS periodicities, in turn, while the residual stays red), then with the
    shorter windows of TREND_WINDOWS_D, choosing the first that passes (the shortest when
    none does), with the 45-hour one kept beside it (`long`)."""
    sampling = _Sampling.of(time)
    result = _biweight_detrended(time, flux, TREND_WINDOW_D, sampling)
    if time.size < 10:
        return result
    frequency = dominant_frequency(time, flux)
    if frequency is not None:
        result = dataclasses.replace(
            result, variability=(1.0 / frequency, variability_amplitude(time, flux)))
    if result.red_noise <= RED_NOISE_MAX:
        return result
    fitted: list[tuple[float, float]] = []
    harmonics: list[int] = []
    while frequency is not None and len(fitted) < PREWHITEN_COMPONENTS:
        model, base, n_harmonics = periodic_model(time, flux, frequency)
        harmonics.append(n_harmonics)
        fitted.append((1.0 / base, float(np.sqrt(2.0) * np.std(model))))
        flux = flux - model + 1.0
        result = dataclasses.replace(_biweight_detrended(time, flux, TREND_WINDOW_D, sampling),
                                     fitted=tuple(fitted), harmonics=tuple(harmonics),
                                     variability=result.variability)
        if result.red_noise <= RED_NOISE_MAX:
            break
        frequency = dominant_frequency(time, flux)
    long = result
    for window in TREND_WINDOWS_D[1:]:
        if result.red_noise <= RED_NOISE_MAX:
            break
        result = dataclasses.replace(_biweight_detrended(time, flux, window, sampling),
                                     fitted=long.fitted, harmonics=long.harmonics,
                                     variability=long.variability)
    return result if result is long else dataclasses.replace(result, long=long)


def _above_running_median(y: np.ndarray, cadence: float) -> np.ndarray:
    """`y` minus its running median over FLARE_MEDIAN_D: a flare (a few hours) stands out of
    it, a smooth hump left by spots follows it."""
    return y - running_median(y, odd_cadences_in(FLARE_MEDIAN_D, cadence, 3))


def flare_mask(y: np.ndarray, sigma: float, cadence: float = KEPLER_CADENCE_D) -> np.ndarray:
    """True for the cadences of flares in the detrended flux `y` (noise `sigma`, sampled
    every `cadence` days): from each cadence more than FLARE_SIGMA sigma above the running
    median, the decay while above FLARE_DECAY_SIGMA sigma, and the cadence before it (the
    rise). Upward only: a transit is never touched."""
    return _flare_mask(_above_running_median(y, cadence), sigma, cadence)


def _flare_mask(excess: np.ndarray, sigma: float, cadence: float) -> np.ndarray:
    flare = excess > FLARE_SIGMA * sigma
    decaying = excess > FLARE_DECAY_SIGMA * sigma
    grown = flare.copy()
    for _ in range(cadences_in(FLARE_MAX_D, cadence)):
        step = np.zeros_like(grown)
        step[1:] = grown[:-1] & decaying[1:]
        if not np.any(step & ~grown):
            break
        grown |= step
    grown[:-1] |= flare[1:]
    return grown


def flare_wakes(time: np.ndarray, y: np.ndarray, flare: np.ndarray, sigma: float) -> np.ndarray:
    """True within BIG_FLARE_WAKE_D of every flare (a run of `flare`) whose detrended flux
    `y` peaks above BIG_FLARE_SIGMA x `sigma`; all False when that would be more than
    MAX_WAKE_FRACTION of the cadences."""
    starts, ends = true_runs(flare)
    if starts.size == 0:
        return np.zeros(time.size, dtype=bool)
    peaks = np.maximum.reduceat(np.where(flare, y, -np.inf), starts)
    big = peaks > BIG_FLARE_SIGMA * sigma
    low = np.searchsorted(time, time[starts[big]] - BIG_FLARE_WAKE_D)
    high = np.searchsorted(time, time[ends[big] - 1] + BIG_FLARE_WAKE_D, side="right")
    coverage = np.zeros(time.size + 1, dtype=np.int64)
    np.add.at(coverage, low, 1)
    np.add.at(coverage, high, -1)
    wake = np.cumsum(coverage[:-1]) > 0
    if np.count_nonzero(wake & ~flare) > MAX_WAKE_FRACTION * time.size:
        wake[:] = False
    return wake


def has_flares(y: np.ndarray, sigma: float, cadence: float = KEPLER_CADENCE_D) -> bool:
    """True when the runs of FLARE_MIN_CADENCES or more cadences more than FLARE_SIGMA
    sigma above the running median outnumber those as far below it by more than
    FLARE_EXCESS_SIGMA x the square root of their sum."""
    return _has_flares(_above_running_median(y, cadence), sigma)


def flares(y: np.ndarray, sigma: float, cadence: float = KEPLER_CADENCE_D
           ) -> tuple[bool, np.ndarray]:
    """(`has_flares`, `flare_mask`) of `y`, from one running median."""
    excess = _above_running_median(y, cadence)
    return _has_flares(excess, sigma), _flare_mask(excess, sigma, cadence)


def _has_flares(excess: np.ndarray, sigma: float) -> bool:
    above = _events(excess > FLARE_SIGMA * sigma)
    below = _events(excess < -FLARE_SIGMA * sigma)
    return above - below > FLARE_EXCESS_SIGMA * np.sqrt(above + below)


def _events(mask: np.ndarray) -> int:
    """Runs of at least FLARE_MIN_CADENCES consecutive True in `mask`."""
    starts, ends = true_runs(mask)
    return int(np.count_nonzero(ends - starts >= FLARE_MIN_CADENCES))


def detrended(time: np.ndarray, flux: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time, flux / trend - 1) for the cadences where the search's trend is defined."""
    result = detrend_for_search(time, flux)
    return result.time, result.y

