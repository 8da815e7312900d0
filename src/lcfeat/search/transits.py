"""The transit search of one light curve, from normalised flux to the chosen candidate.

`search_transits` is the one entry point (as astropy's `autopower` is for BoxLeastSquares):
it chooses how to detrend (`detrend.detrend_ladder`), cuts flares from a star that has them,
searches each detrending (`core.search_periodic`) and keeps the candidate with consistent
single-transit depths and the highest SNR against the noise at its own duration
(`core.whitened_snr`). On a star whose variability survives the 45-hour window, shorter
windows are tried; when a shorter window is chosen, the longer windows tried before it are
searched too (they keep the long transits it would eat), within LADDER_BUDGET_CADENCES.
On a star with more cadences 3 robust sigma above the running median of its detrended flux
than below (`has_flares`), flares are cut before the search (`flare_mask`: such a cadence and
its decay; dips are never cut): inside a transit box a flare raises the mean, and on a
flaring M dwarf they hid planets at SNR 11-18 behind noise peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcfeat.lightcurve.robust import finite_cadences, robust_sigma
from lcfeat.search.core import (
    Candidate,
    PeriodicSearch,
    SearchResult,
    median_cadence,
    search_periodic,
    whitened_snr,
)
from lcfeat.search.detrend import detrend_ladder, flare_mask, has_flares
from lcfeat.search.grid import MIN_TRANSITS, PERIOD_MIN_D

#: Fewer cadences than this cannot support a periodic search.
MIN_POINTS = 50
#: Normalised flux outside this open range is not a star's light (negative, or ten times
#: its median): such cadences are left out of the search.
PHYSICAL_FLUX = (0.0, 10.0)
#: Longer baselines are not one Kepler target (the mission lasted 1,470 d): no search (the
#: grid would grow with the baseline).
MAX_BASELINE_D = 2000.0
#: The baseline must hold two cycles of the shortest trial period.
MIN_BASELINE_D = 2.0 * PERIOD_MIN_D
#: Cadences the searches of the detrending ladder may cover together (two full 17-quarter
#: targets): a long, strongly spotted light curve searches its chosen window and the next.
LADDER_BUDGET_CADENCES = 140_000


class NotSearchableError(ValueError):
    """The light curve cannot hold a transit search; the message says why."""


@dataclass(frozen=True)
class TransitSearch:
    """The chosen search of a light curve: its result, the detrended flux it was run on
    (`time`, `y` = flux / trend - 1, flares cut) and that flux's robust per-cadence sigma."""

    periodic: PeriodicSearch
    sigma: float

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


def search_transits(time: np.ndarray, flux: np.ndarray, parallel: bool = False) -> TransitSearch:
    """Search a normalised light curve (flux around 1) for a periodic transit.

    Raises NotSearchableError when the light curve cannot hold a search (too few cadences,
    too short or too long a baseline, constant flux)."""
    time, flux = finite_cadences(time, flux)
    physical = (flux > PHYSICAL_FLUX[0]) & (flux < PHYSICAL_FLUX[1])
    time, flux = time[physical], flux[physical]
    baseline = float(time[-1] - time[0]) if time.size else 0.0
    if time.size < MIN_POINTS or baseline < MIN_BASELINE_D:
        raise NotSearchableError(
            f"{time.size} cadences over {baseline:.2f} d: a transit search needs at least "
            f"{MIN_POINTS} cadences over {MIN_BASELINE_D:g} d"
        )
    if baseline > MAX_BASELINE_D:
        raise NotSearchableError(f"baseline {baseline:.0f} d is longer than one Kepler target's")
    try:
        ladder = detrend_ladder(time, flux)
    except (ArithmeticError, ValueError) as exc:
        # wotan's compiled biweight divides by the window's MAD: flux constant over a window.
        raise NotSearchableError(
            f"detrending failed ({type(exc).__name__}): flux constant over a window") from None
    best: tuple[tuple[bool, float], PeriodicSearch, float] | None = None
    budget = LADDER_BUDGET_CADENCES
    for prepared in ladder:
        if budget < prepared.time.size and best is not None:
            break
        budget -= prepared.time.size
        sigma = robust_sigma(prepared.y) if prepared.y.size else 0.0
        if prepared.time.size < MIN_POINTS or not (np.isfinite(sigma) and sigma > 0):
            continue
        # Edge trimming can leave less than MIN_TRANSITS x the shortest period: no grid.
        if prepared.time[-1] - prepared.time[0] <= MIN_TRANSITS * PERIOD_MIN_D:
            continue
        quiet = np.ones(prepared.y.size, dtype=bool)
        if has_flares(prepared.y, sigma):
            cut = ~flare_mask(prepared.y, sigma)
            # The first and last cadences stay: the baseline (hence the periods searched)
            # is that of the flux without the cut.
            cut[0] = cut[-1] = True
            if np.count_nonzero(cut) >= MIN_POINTS:
                quiet = cut
        periodic = search_periodic(
            prepared.time[quiet], prepared.y[quiet], sigma=sigma,
            max_duration=prepared.max_duration, parallel=parallel,
        )
        if len(ladder) == 1:
            best = ((True, 0.0), periodic, sigma)
            break
        # Each window keeps transits up to a third of its length: the candidates of the
        # windows compete by SNR against the noise at their own duration, those with
        # consistent single-transit depths first.
        cadence = median_cadence(prepared.time)
        score = (
            periodic.consistent,
            whitened_snr(periodic.result.candidate, prepared.y, sigma, cadence),
        )
        if best is None or score > best[0]:
            best = (score, periodic, sigma)
    if best is None:
        raise NotSearchableError(
            "detrended flux has no scatter (constant light curve) or spans less than "
            f"{MIN_TRANSITS * PERIOD_MIN_D:g} d: no box can be fitted"
        )
    return TransitSearch(best[1], best[2])
