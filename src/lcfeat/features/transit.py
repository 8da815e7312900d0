"""Transit domain (10 + 4 extras): the best periodic box-shaped dip and its consistency checks.

Flux: `Prepared.flux` (cosmic rays removed, dips kept) divided by its wotan biweight trend with
a window of 3 x the longest trial duration (45 h), minus 1; cadences within 0.25 d of a gap and
unphysical ones (normalised flux <= 0 or >= 10) are left out. On a star whose variability
survives that window, its dominant variability is fitted out first and shorter windows (1,
0.5, 0.3 d) are tried, with trial durations capped at a third of the window
(`lcfeat.search.core.detrend_ladder`); when a shorter window is chosen, the longer windows
tried before it are searched too (they keep the long transits it would eat, within
LADDER_BUDGET_CADENCES), and the candidate with consistent single-transit depths and the
highest SNR against the noise at its own duration (`whitened_snr`) is kept. On a star with
more cadences 3 robust sigma above the running median of its detrended flux than below
(`has_flares`), flares are cut before the search (`flare_mask`: such a cadence and its
decay; dips are never cut): inside a transit box a flare raises the mean, and on a flaring
M dwarf they hid planets at SNR 11-18 behind noise peaks. The search (`lcfeat.search`)
scans periods 0.5-100 d (at most a third of the baseline) on an Ofir (2014)
grid with durations tied to the period, by a fast-folding box least squares, refines the best
peaks with the astropy-equivalent compiled kernel, and passes over candidates made by a single
event or by a few unrelated dips (`depth_chi2_pvalue`). A quiet star keeps the values of its
best (noise) peak: low SDE and SNR, inconsistent single transits, never NULL.

Single transits are the epochs epoch + k x period (k = 0, 1, ...) with at least one cadence in
the box; their depth is the out-of-transit mean minus the in-box mean, and their mid-time the
centre of the best box of the same duration slid by up to half a duration around the
ephemeris (21 positions). Depth errors use the robust per-cadence sigma of the detrended flux.
"""

from __future__ import annotations

import numpy as np

from lcfeat.features.base import DomainResult, Prepared, Value
from lcfeat.features.null_policy import finish, finite_cadences
from lcfeat.features.registry import names_in
from lcfeat.search.core import (
    Candidate,
    PeriodicSearch,
    detrend_ladder,
    flare_mask,
    has_flares,
    robust_sigma,
    search_periodic,
    whitened_snr,
)
from lcfeat.search.epochs import SingleTransits, box_sums, epoch_centres
from lcfeat.search.grid import MIN_TRANSITS, PERIOD_MIN_D

DOMAIN = "transit"
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
#: Nominal solar radius over Jupiter's equatorial radius (IAU 2015 B3: 695,700 / 71,492 km).
R_SUN_OVER_R_JUP = 695_700.0 / 71_492.0
PLAUSIBLE_MAX_RJUP = 2.0
ODD_EVEN_MAX_SIGMA = 3.0
#: Positions of the sliding box when timing one transit (spanning +- half a duration).
TIMING_POSITIONS = 21
#: Cadences the searches of the detrending ladder may cover together (two full 17-quarter
#: targets): a long, strongly spotted light curve searches its chosen window and the next.
LADDER_BUDGET_CADENCES = 140_000
EXTRA_NAMES = (
    "transit_bls_epoch",
    "transit_bls_snr",
    "transit_odd_even_sigma",
    "transit_secondary_snr",
)


def secondary_snr(time: np.ndarray, y: np.ndarray, sigma: float, cand: Candidate,
                  level: float, n_out: float) -> float | None:
    """Depth over its error of a box of the candidate's duration at phase 0.5."""
    cum_y = np.concatenate(([0.0], np.cumsum(y)))
    centres = epoch_centres(time, cand.period, cand.epoch, phase=0.5)
    counts, sums = box_sums(time, cum_y, centres, cand.duration)
    n_in = counts.sum()
    if n_in == 0:
        return None
    depth = level - sums.sum() / n_in
    return float(depth / (sigma * np.sqrt(1.0 / n_in + 1.0 / max(n_out, 1.0))))


def timing_scatter(index: np.ndarray, mid_times: np.ndarray) -> float:
    """Standard deviation (ddof 2) of the mid-times about their least-squares line."""
    design = np.column_stack((np.ones(index.size), index.astype(np.float64)))
    coef, *_ = np.linalg.lstsq(design, mid_times, rcond=None)
    residual = mid_times - design @ coef
    return float(np.sqrt(np.sum(residual**2) / (index.size - 2)))


def transit_features(
    time: np.ndarray,
    flux: np.ndarray,
    stellar_radius: float | None,
    parallel: bool = False,
) -> tuple[dict[str, Value], dict[str, str], dict[str, Value]]:
    names = names_in(DOMAIN)

    def all_null(reason: str) -> tuple[dict[str, Value], dict[str, str], dict[str, Value]]:
        return dict.fromkeys(names), dict.fromkeys(names, reason), dict.fromkeys(EXTRA_NAMES)

    time, flux = finite_cadences(time, flux)
    physical = (flux > PHYSICAL_FLUX[0]) & (flux < PHYSICAL_FLUX[1])
    time, flux = time[physical], flux[physical]
    baseline = float(time[-1] - time[0]) if time.size else 0.0
    if time.size < MIN_POINTS or baseline < MIN_BASELINE_D:
        return all_null(
            f"{time.size} cadences over {baseline:.2f} d: a transit search needs at least "
            f"{MIN_POINTS} cadences over {MIN_BASELINE_D:g} d"
        )
    if baseline > MAX_BASELINE_D:
        return all_null(f"baseline {baseline:.0f} d is longer than one Kepler target's")
    try:
        ladder = detrend_ladder(time, flux)
    except (ArithmeticError, ValueError) as exc:
        # wotan's compiled biweight divides by the window's MAD: flux constant over a window.
        return all_null(f"detrending failed ({type(exc).__name__}): flux constant over a window")
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
        cadence = float(np.median(np.diff(prepared.time)))
        score = (
            periodic.consistent,
            whitened_snr(periodic.result.candidate, prepared.y, sigma, cadence),
        )
        if best is None or score > best[0]:
            best = (score, periodic, sigma)
    if best is None:
        return all_null(
            "detrended flux has no scatter (constant light curve) or spans less than "
            f"{MIN_TRANSITS * PERIOD_MIN_D:g} d: no box can be fitted"
        )
    _, periodic, sigma = best
    result, t, y = periodic.result, periodic.time, periodic.y
    cand = result.candidate
    if not all(np.isfinite([cand.period, cand.epoch, cand.duration, cand.depth])):
        return all_null("no box with a dip fits the detrended flux")
    values: dict[str, Value] = {
        "transit_bls_power": result.sde,
        "transit_bls_period": cand.period,
        "transit_bls_depth": cand.depth,
        "transit_bls_duration": cand.duration,
    }
    reasons: dict[str, str] = {}
    extras: dict[str, Value] = {"transit_bls_epoch": cand.epoch, "transit_bls_snr": cand.snr}

    single = SingleTransits(t, y, cand.period, cand.epoch, cand.duration)
    values["transit_n_detected"] = float(single.n_detected)
    if single.n_detected >= 2:
        values["transit_depth_consistency"] = float(np.std(single.depths(), ddof=1) / cand.depth)
    else:
        reasons["transit_depth_consistency"] = "fewer than 2 transits of the best box have data"
    if single.n_detected >= 3:
        values["transit_timing_consistency"] = (
            timing_scatter(single.index, single.mid_times(TIMING_POSITIONS)) / cand.duration
        )
    else:
        reasons["transit_timing_consistency"] = "fewer than 3 transits of the best box have data"

    if stellar_radius is not None and np.isfinite(stellar_radius) and stellar_radius > 0:
        radius = float(np.sqrt(max(cand.depth, 0.0)) * stellar_radius * R_SUN_OVER_R_JUP)
        values["transit_implied_r_planet_rjup"] = radius
        values["transit_physically_plausible"] = 1.0 if radius <= PLAUSIBLE_MAX_RJUP else 0.0
    else:
        reason = "no stellar radius (KIC RADIUS) in the FITS headers"
        reasons["transit_implied_r_planet_rjup"] = reason
        reasons["transit_physically_plausible"] = reason

    odd = single.index % 2 == 1
    d_odd, e_odd, n_odd = single.pooled_depth(odd, sigma)
    d_even, e_even, n_even = single.pooled_depth(~odd, sigma)
    if n_odd > 0 and n_even > 0:
        sigma_oe = abs(d_odd - d_even) / np.hypot(e_odd, e_even)
        extras["transit_odd_even_sigma"] = float(sigma_oe)
        values["transit_odd_even_consistent"] = 1.0 if sigma_oe <= ODD_EVEN_MAX_SIGMA else 0.0
    else:
        reasons["transit_odd_even_consistent"] = (
            "no odd or no even transit of the best box has data"
        )
        extras["transit_odd_even_sigma"] = None
    extras["transit_secondary_snr"] = secondary_snr(
        t, y, sigma, cand, single.level, single.n_out
    )
    return values, reasons, extras


def compute(prepared: Prepared, parallel: bool = False) -> DomainResult:
    radius = prepared.lc.stellar.get("radius")
    values, reasons, extras = transit_features(
        prepared.time, prepared.flux, radius, parallel=parallel
    )
    return finish(DOMAIN, values, reasons, extras)
