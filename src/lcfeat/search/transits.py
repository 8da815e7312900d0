"""The transit search of one light curve, from normalised flux to the chosen candidate.

`search_transits` is the one entry point (as astropy's `autopower` is for BoxLeastSquares).
It does the work once: it chooses one detrending from the star's own noise
(`detrend.detrend_for_search`: no periodogram per choice), cuts the bright excursions of
every star (`flare_mask`: a cadence 3 sigma above the running median, its decay and rise;
dips are never cut: inside a transit box a bright cadence raises the mean); a star with
flares (`has_flares`: bright events of several cadences) has them cut from its raw flux
before it is detrended (a big flare lifts the trend into a false dip; many small ones pass
for red noise and pull the prewhitening's fits), and only when they show in the detrended
flux alone, and made it choose a shorter window or are huge, is it detrended again without
them; it computes one periodogram over every trial period, and re-examines its best peaks
locally (`core.search_periodic`: each refined on the cadences near its transits, then
vetted for single events and inconsistent depths). A chosen box that is the trough of a
sinusoid at its period is fitted out and the search run again (SINUSOID_PASSES); one that is
still such a trough, at its period or a few times shorter (`FoldedHarmonics.is_sinusoid`),
or that is no detection against the scatter of flux means over its duration
(`core.red_noise_snr`), is reported but not vetted (`TransitSearch.vetted`). The period
range follows the baseline:
any light curve that can hold three transits of a 0.5-day period is searched, in one sector
or many, across the gaps between and within them.

A light curve sampled faster than every SEARCH_BIN_D / 2 (TESS's 2-minute and 200-second
cadences) is searched on its flux averaged in SEARCH_BIN_D bins (`bin_for_search`): a transit
of an hour still spans six bins, and on the bundled TESS stars the search finds the same
planets 10 to 60 times faster (bench/bench_transit_tess.py; tests/search/test_search_tess.py).
Every window of the search is defined in time, so it means the same at either sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lcfeat.lightcurve.robust import (
    finite_cadences,
    median_cadence,
    point_to_point_sigma,
    robust_sigma,
    segment_bounds,
)
from lcfeat.search.core import (
    RED_NOISE_SNR_MIN,
    SINUSOID_HARMONICS,
    SINUSOID_MAX_RATIO,
    Candidate,
    FoldedHarmonics,
    PeriodicSearch,
    SearchResult,
    is_box,
    red_noise_snr,
    search_periodic,
)
from lcfeat.search.detrend import (
    Detrended,
    detrend_for_search,
    flare_wakes,
    flares,
    red_noise_bin,
    red_noise_ratio,
    variability_model,
)
from lcfeat.search.grid import MIN_TRANSITS, PERIOD_MIN_D

#: A best peak that is a sinusoid of the star (`FoldedHarmonics.ratio`) is fitted out and the
#: search repeated, at most this many times.
SINUSOID_PASSES = 1
#: Fewer cadences than this cannot support a periodic search.
MIN_POINTS = 50
#: Normalised flux outside this open range is not a star's light (negative, or ten times
#: its median): such cadences are left out of the search.
PHYSICAL_FLUX = (0.0, 10.0)
#: Longer baselines are not one target's (Kepler lasted 1,470 d; TESS's sectors of one star
#: span up to about seven years by 2025): no search (the grid grows with the baseline).
MAX_BASELINE_D = 4000.0
#: Light curves sampled every SEARCH_BIN_D / 2 or faster are searched in bins of this (days).
SEARCH_BIN_D = 10.0 / 1440.0
#: The baseline must hold MIN_TRANSITS transits of the shortest trial period.
MIN_BASELINE_D = (MIN_TRANSITS - 1) * PERIOD_MIN_D


#: Bright excursions found only in the detrended flux call for a new detrending without them
#: (`_without_flares`) when they made it choose a shorter window: without them, the red-noise
#: ratio of its 45-hour residual falls by more than this fraction (GJ 1243, Q3: 1.82 to 1.50,
#: 18%, and 9-20% with a planet injected). What a spotted star's 0.3-0.5-day residual
#: leaves passes for flares too (1-5% of its cadences flagged, up to 8-37 sigma), but without
#: it that ratio moves by 2% or less on the population bench's spotted stars: their spots
#: chose the window, and detrending them anew (0.15 s each time) changed no star's result.
FLARE_RED_NOISE_DROP = 0.05
#: ... or when one is this many sigma high, which may lift the trend around it whatever the
#: window (GJ 1243's peak at 250 sigma; the spot residuals above at 37 at most).
LIFTING_FLARE_SIGMA = 50.0
#: Times a star with flares is detrended again without them, at most (`_without_flares`).
FLARE_PASSES = 2
#: Times flares are looked for, and cut, in the raw flux before the detrending
#: (`_without_raw_flares`): the biggest flares hide the smaller ones from the noise estimate.
RAW_FLARE_PASSES = 3


class NotSearchableError(ValueError):
    """The light curve cannot hold a transit search; the message says why."""


@dataclass(frozen=True)
class TransitSearch:
    """The chosen search of a light curve: its result, the detrended flux it was run on
    (`time`, `y` = flux / trend - 1, flares cut; binned for a fast cadence), that flux's
    robust per-cadence sigma, and how it was detrended."""

    periodic: PeriodicSearch
    sigma: float
    detrended: Detrended | None = None
    #: The chosen box is the trough of a sinusoid at its period or a few times shorter
    #: (`FoldedHarmonics.is_sinusoid`): variability the search could not fit out, not a
    #: transit.
    sinusoidal: bool = False
    #: The chosen box's SNR against the noise of flux means over its duration
    #: (`core.red_noise_snr`).
    red_noise_snr: float = math.nan

    @property
    def vetted(self) -> bool:
        """The chosen box passed every vetting test: not one event's doing, not the star's
        own variability or a harmonic, single-transit depths consistent, not a sinusoid,
        significant against red noise (RED_NOISE_SNR_MIN)."""
        return (self.periodic.consistent and not self.sinusoidal
                and self.red_noise_snr >= RED_NOISE_SNR_MIN)

    @property
    def result(self) -> SearchResult:
        return self.periodic.result

    @property
    def time(self) -> np.ndarray:
        return self.periodic.time

    @property
    def y(self) -> np.ndarray:
        return self.periodic.y

    @property
    def candidate(self) -> Candidate:
        """The chosen box: period, epoch (BKJD), duration (d), depth, its error, SNR."""
        return self.periodic.result.candidate

    @property
    def sde(self) -> float:
        """Signal detection efficiency of the chosen peak (transit_bls_power)."""
        return self.periodic.result.sde

    @property
    def periods(self) -> np.ndarray:
        """Trial periods of the periodogram (days)."""
        return self.periodic.result.periodogram.period

    @property
    def power(self) -> np.ndarray:
        """Periodogram power at each trial period (log-likelihood gain of its best box)."""
        return self.periodic.result.periodogram.power


def bin_for_search(time: np.ndarray, flux: np.ndarray,
                   width: float = SEARCH_BIN_D) -> tuple[np.ndarray, np.ndarray]:
    """The light curve itself when no stretch of it is sampled faster than every width / 2
    (Kepler, 10- and 30-minute full-frame images); else each such stretch (a continuous
    segment, split at gaps over SEGMENT_GAP_DAYS, whose median step is that fast) averaged in
    consecutive bins of `width` days counted from its first cadence (mean time, mean flux),
    each bin holding at least half the cadences it can (a bin cut by a gap or a masked
    stretch would be noisier than the rest). Slower segments (a sector observed only in
    full-frame images, stitched with 2-minute ones) are kept as they are."""
    if not np.any(np.diff(time) <= 0.5 * width):
        return time, flux  # no segment's median step can be that short (Kepler's)
    bounds = segment_bounds(time)
    pieces_time, pieces_flux = [], []
    binned_any = False
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        t, f = time[a:b], flux[a:b]
        cadence = median_cadence(t)
        if not (np.isfinite(cadence) and 0 < cadence <= 0.5 * width):
            pieces_time.append(t)
            pieces_flux.append(f)
            continue
        binned_any = True
        index = np.floor((t - t[0]) / width).astype(np.int64)
        starts = np.concatenate(([0], np.flatnonzero(np.diff(index)) + 1))
        counts = np.diff(np.append(starts, t.size))
        full = counts >= max(1, int(round(width / cadence)) // 2)
        pieces_time.append((np.add.reduceat(t, starts) / counts)[full])
        pieces_flux.append((np.add.reduceat(f, starts) / counts)[full])
    if not binned_any:
        return time, flux
    return np.concatenate(pieces_time), np.concatenate(pieces_flux)


def search_transits(time: np.ndarray, flux: np.ndarray, parallel: bool = False,
                    bin_width: float | None = SEARCH_BIN_D) -> TransitSearch:
    """Search a normalised light curve (flux around 1) for a periodic transit; a cadence
    faster than `bin_width` / 2 is binned to it first (`bin_for_search`; None: never).

    Raises NotSearchableError when the light curve cannot hold a search (too few cadences,
    too short or too long a baseline, constant flux)."""
    time, flux = finite_cadences(time, flux)
    physical = (flux > PHYSICAL_FLUX[0]) & (flux < PHYSICAL_FLUX[1])
    time, flux = time[physical], flux[physical]
    if bin_width is not None:
        time, flux = bin_for_search(time, flux, bin_width)
    baseline = float(time[-1] - time[0]) if time.size else 0.0
    if time.size < MIN_POINTS or baseline <= MIN_BASELINE_D:
        raise NotSearchableError(
            f"{time.size} cadences over {baseline:.2f} d: a transit search needs at least "
            f"{MIN_POINTS} cadences over {MIN_BASELINE_D:g} d"
        )
    if baseline > MAX_BASELINE_D:
        raise NotSearchableError(
            f"baseline {baseline:.0f} d is longer than {MAX_BASELINE_D:.0f} d: not one target's")
    cadence = median_cadence(time)
    time, flux, raw_wakes = _without_raw_flares(time, flux, cadence)
    try:
        detrended = detrend_for_search(time, flux)
    except (ArithmeticError, ValueError) as exc:
        # wotan's compiled biweight divides by the window's MAD: flux constant over a window.
        raise NotSearchableError(
            f"detrending failed ({type(exc).__name__}): flux constant over a window") from None
    t, y = detrended.time, detrended.y
    sigma = robust_sigma(y) if y.size else 0.0
    # Edge trimming can leave less than MIN_TRANSITS x the shortest period: no grid.
    if (t.size < MIN_POINTS or not (np.isfinite(sigma) and sigma > 0)
            or t[-1] - t[0] <= MIN_BASELINE_D):
        raise NotSearchableError(
            "detrended flux has no scatter (constant light curve) or spans less than "
            f"{MIN_BASELINE_D:g} d: no box can be fitted"
        )
    detrended, t, y, sigma = _without_flares(time, flux, detrended, sigma, cadence,
                                             raw_wakes)
    own_periods = detrended.own_periods
    periodic = search_periodic(t, y, sigma=sigma, max_duration=detrended.max_duration,
                               parallel=parallel, own_periods=own_periods)
    folded = FoldedHarmonics(periodic.time, periodic.y, periodic.result.candidate)
    for _ in range(SINUSOID_PASSES):
        cand = periodic.result.candidate
        if not (is_box(cand) and folded.ratio(1) > SINUSOID_MAX_RATIO):
            break
        # The best peak is a periodicity of the star that the detrending left (a rotation too
        # weak to be fitted out before, or a harmonic of one): fit it out and search again.
        model = variability_model(t, y + 1.0, 1.0 / cand.period, SINUSOID_HARMONICS)
        y = y + 1.0 - model
        own_periods = (*own_periods, (cand.period, float(np.sqrt(2.0) * np.std(model))))
        sigma = robust_sigma(y)
        periodic = search_periodic(t, y, sigma=sigma, max_duration=detrended.max_duration,
                                   parallel=parallel, own_periods=own_periods)
        folded = FoldedHarmonics(periodic.time, periodic.y, periodic.result.candidate)
    cand = periodic.result.candidate
    return TransitSearch(periodic, sigma, detrended,
                         folded.is_sinusoid(sigma),
                         red_noise_snr(periodic.time, periodic.y, cand, sigma))


def _without_raw_flares(time: np.ndarray, flux: np.ndarray, cadence: float
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The light curve without its flares when it has some (`flares` of its excess over the
    running median, which follows spots, against its point-to-point noise): a flare would
    bias the trend and the choice of detrending, which is then made once, on flux without
    them, instead of once with them and again without (on the flaring stars of the
    population bench the search became about 1.7 times faster and found one transit more
    at box SNR >= 10, 14 of 26). Returns time, flux and the times of big flares' wakes
    (`flare_wakes`), or None when it has no flares."""
    sigma = point_to_point_sigma(flux)
    if not (np.isfinite(sigma) and sigma > 0):
        return time, flux, None
    wakes: list[np.ndarray] = []
    for _ in range(RAW_FLARE_PASSES):
        relative = flux - 1.0
        flaring, flare = flares(relative, sigma, cadence)
        if not flaring:
            break
        flare[0] = flare[-1] = False  # the baseline (hence the periods searched) stays
        if np.count_nonzero(~flare) < MIN_POINTS:
            break
        wakes.append(time[flare_wakes(time, relative, flare, sigma) & ~flare])
        time, flux = time[~flare], flux[~flare]
    return time, flux, (np.concatenate(wakes) if wakes else None)


def _reddened_by(detrended: Detrended, flare_times: np.ndarray, cadence: float) -> bool:
    """True when the cadences at `flare_times` made `detrended` choose a window shorter than
    45 hours: without them its 45-hour residual is less red by FLARE_RED_NOISE_DROP."""
    long = detrended.long
    if long is None:
        return False
    kept = ~np.isin(long.time, flare_times)
    without = red_noise_ratio(long.y[kept], red_noise_bin(cadence))
    return without < (1.0 - FLARE_RED_NOISE_DROP) * long.red_noise


def _without_flares(time: np.ndarray, flux: np.ndarray, detrended: Detrended, sigma: float,
                    cadence: float, raw_wakes: np.ndarray | None
                    ) -> tuple[Detrended, np.ndarray, np.ndarray, float]:
    """The search's flux: bright excursions (`flare_mask`) cut, and when they bias the
    trend (a flare above LIFTING_FLARE_SIGMA can lift it into a false dip a window wide; many
    small ones pass for red noise and shorten the window: `_reddened_by`) the flux detrended
    again without them, the choice of detrending made anew, up to FLARE_PASSES times on a
    star with flares (`has_flares`; never on one without: lone bright cadences do not move a
    biweight trend) while flares remain (a star whose flares cover a tenth of its light curve
    biases its first trend and its prewhitening so much that the flares found in it are not
    yet all of them). A star whose flares were cut from its raw flux (`raw_wakes` not None)
    is not detrended again: what remains bright is cut. Big flares' wakes (`flare_wakes`,
    those of the raw flux included) are left out of the search, not of the detrending: holes
    in it shifted contact binaries' fits.
    Returns the detrending, its time and flux, and the flux's robust sigma."""
    t, y = detrended.time, detrended.y
    keep = np.ones(time.size, dtype=bool)
    wakes: list[np.ndarray] = [] if raw_wakes is None else [raw_wakes]
    passes = FLARE_PASSES if raw_wakes is None else 0
    for done in range(passes + 1):
        flaring, flare = flares(y, sigma, cadence)
        if not flaring:
            if done:  # the new detrending left no flares
                break
            passes = 0
        flare[0] = flare[-1] = False  # the baseline (hence the periods searched) stays
        wakes.append(t[flare_wakes(t, y, flare, sigma) & ~flare])
        if np.count_nonzero(~flare) < MIN_POINTS:
            break
        lifting = (np.max(y) > LIFTING_FLARE_SIGMA * sigma
                   or _reddened_by(detrended, t[flare], cadence))
        if done == passes or not lifting:
            t, y = t[~flare], y[~flare]
            break
        keep[np.searchsorted(time, t[flare])] = False
        detrended = detrend_for_search(time[keep], flux[keep])
        t, y = detrended.time, detrended.y
        sigma = robust_sigma(y)
    outside = ~np.isin(t, np.concatenate(wakes))
    outside[0] = outside[-1] = True
    return detrended, t[outside], y[outside], sigma
