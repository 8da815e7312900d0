"""Transit domain (10 + 5 extras): the best periodic box-shaped dip and its consistency checks.

The search itself (`lcfeat.search.transits.search_transits`: detrending, flares, the box
least squares periodogram, refinement and vetting) chooses the candidate; this domain turns it
into numbers. A quiet star keeps the values of its best (noise) peak: low SDE and SNR,
inconsistent single transits, never NULL.

Single transits are the epochs epoch + k x period (k = 0, 1, ...) with at least one cadence in
the box; their depth is the out-of-transit mean minus the in-box mean, and their mid-time the
centre of the best box of the same duration slid by up to half a duration around the
ephemeris (21 positions). Depth errors use the robust per-cadence sigma of the detrended flux.
"""

from __future__ import annotations

import numpy as np

from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, Extra, Value, declare
from lcfeat.search.core import Candidate
from lcfeat.search.epochs import SingleTransits, box_sums, epoch_centres
from lcfeat.search.transits import NotSearchableError, TransitSearch, search_transits

DOMAIN = "transit"
#: The flux this domain is computed on (docs/features.md says it for every domain).
FLUX = (
    "the normalised PDCSAP flux (single-cadence cosmic rays removed), bright excursions cut (a "
    "cadence 3 sigma above the running median of the detrended flux, its decay and rise; on a "
    "star with flares, more such events of two cadences or more than dips, the flares cut "
    "before the detrending (found the same way in the raw flux, against its point-to-point "
    "scatter, up to three times), or when they show only in the detrended flux and made the "
    "45-h residual over 5% redder (or one peaks above 50 sigma), the flux detrended again "
    "without them, the choice made anew, at most twice; the 0.25 d "
    "either side of a flare above 20 sigma left out of the search, where its tail lifts the "
    "trend), divided by its wotan biweight trend (window 3x the longest trial duration, 45 h; "
    "computed every 1/24 of the window and interpolated between), "
    "cadences within 0.25 d of a gap left out (2% of the baseline on a short light curve); when "
    "stellar variability survives that window (3-h binned scatter > 1.5x white, white being the "
    "smaller of the point-to-point scatter and the floor of the power spectrum), up to 3 "
    "periodicities (FFT of the binned flux; twice the period when the folded halves differ) are "
    "first fitted out with 4 harmonics and a line in 5-d chunks of two chunkings offset by half a "
    "chunk and blended (a continuous model; a chunk too short for the fit joined to its "
    "neighbour), then shorter windows (1, 0.5, 0.3 d) tried until the residual is white enough, "
    "the longest trial duration half the window. One search: a fast-folding box least squares on "
    "an Ofir (2014) grid (oversampling 3, periods 0.5 d to min(100 d, baseline/2), durations "
    "0.5-2.5x the Sun-like duration within 1-15 h; where the cadences fill 70% of the baseline "
    "or more, a box at a period covered 10 times or more counts as many cadences as its share of "
    "the baseline holds, the gaps taken at the mean flux); the 8 separate peaks standing "
    "highest above the periodogram's running median over 31 trial periods (a transit's peak is "
    "narrow, what a spotted star's detrending leaves raises broad bumps) are refined with the "
    "astropy-equivalent kernel on the cadences near their transits and vetted in turn: a "
    "candidate made by one event, at the period of the star's own variability or a harmonic (when "
    "5x deeper than the box), or whose single-transit depths fail a chi-square consistency test "
    "(or, where the epochs half a period away scatter more than the noise model, an F-test "
    "against them) is passed over (when every peak is one event's, that event is cut and the "
    "search repeated, up to 3 times). When the chosen candidate is a sinusoid of the star (two "
    "harmonics of its period fit the folded flux better than its box), that periodicity is fitted "
    "out (2 harmonics in the same chunks) and the search run once more (lcfeat.search)"
)
FEATURES = declare(
    DOMAIN,
    ("transit_bls_power", "dimensionless",
     "signal detection efficiency of the best box: (its BLS power - mean) / std of the BLS "
     "power spectrum over all trial periods, the power of a trial being the log-likelihood "
     "gain of its best box, 0.5 (depth / depth error)^2 (Kovacs et al. 2002 SDE)",
     "Kovacs, Zucker & Mazeh 2002, A&A 391, 369"),
    ("transit_bls_period", "d", "period of the best box", "BLS"),
    ("transit_bls_depth", "relative flux",
     "depth of the best box: mean out-of-transit minus mean in-transit detrended flux",
     "astropy BoxLeastSquares depth"),
    ("transit_bls_duration", "d", "duration of the best box", "BLS"),
    ("transit_n_detected", "count",
     "number of transit epochs of the best period with at least one in-transit cadence "
     "(transit_n_transits in old notes)", "lcfeat definition"),
    ("transit_depth_consistency", "dimensionless",
     "standard deviation (ddof 1) of the single-transit depths (out-of-transit mean minus "
     "the epoch's in-box mean) divided by the best-box depth; NULL with fewer than 2 "
     "transits with data",
     "lcfeat definition"),
    ("transit_timing_consistency", "duration",
     "standard deviation (ddof 2) of the single-transit mid-times about their least-squares "
     "linear ephemeris, in units of the duration; a mid-time is the centre of the best box "
     "slid over +-D/2 in 21 steps; NULL with fewer than 3 transits with data",
     "lcfeat definition"),
    ("transit_implied_r_planet_rjup", "R_Jup",
     "sqrt(depth) x stellar radius (KIC or TIC RADIUS of the FITS header), in Jupiter radii "
     "(R_sun / R_Jup = 9.731); NULL without a stellar radius", "Seager & Mallen-Ornelas 2003"),
    ("transit_physically_plausible", "flag",
     "1.0 if transit_implied_r_planet_rjup <= 2, 0.0 if larger; NULL without a radius",
     "lcfeat definition"),
    ("transit_odd_even_consistent", "flag",
     "1.0 if the pooled odd and even transit depths agree within 3 sigma (white noise from "
     "the robust scatter), else 0.0; NULL without both odd and even transits",
     "Kepler DV odd/even depth test, Twicken et al. 2018"),
)
NAMES = tuple(f.name for f in FEATURES)
#: Stored beside the features in the same row, not among the 63.
EXTRAS = (
    Extra("transit_bls_epoch", "d (BKJD; BTJD for TESS)",
          "mid-time of the first transit of the best box"),
    Extra("transit_bls_snr", "dimensionless",
          "depth / depth uncertainty of the best box (white noise from the residual scatter)"),
    Extra("transit_odd_even_sigma", "sigma",
          "|odd depth - even depth| / combined uncertainty"),
    Extra("transit_secondary_snr", "dimensionless",
          "depth of a box of the same duration at phase 0.5, over its uncertainty"),
    Extra("transit_vetted", "flag",
          "1.0 when the best box passed every vetting test of the search (not one event's "
          "doing, not the star's own variability or a harmonic, single-transit depths "
          "consistent, not the trough of a sinusoid, significant against red noise); 0.0 "
          "when every refined peak failed one and the best is reported anyway, when two "
          "harmonics of its period, or of 2-4 times its frequency, fit its folded flux "
          "better than the box and the box beside them has an SNR under 7.1 (a spot "
          "residual or an oscillation mode the search could not fit out), or when its SNR "
          "with the error from the scatter of flux means over its duration (red noise "
          "included; Pont et al. 2006) is under 7.1"),
)
EXTRA_NAMES = tuple(e.name for e in EXTRAS)
#: Nominal solar radius over Jupiter's equatorial radius (IAU 2015 B3: 695,700 / 71,492 km).
R_SUN_OVER_R_JUP = 695_700.0 / 71_492.0
PLAUSIBLE_MAX_RJUP = 2.0
ODD_EVEN_MAX_SIGMA = 3.0
#: Positions of the sliding box when timing one transit (spanning +- half a duration).
TIMING_POSITIONS = 21


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


def candidate_features(found: TransitSearch, stellar_radius: float | None,
                       catalog: str = "KIC") -> DomainResult:
    """The domain's values for the chosen search of a light curve (`catalog`, KIC or TIC,
    names the source of the stellar radius in a NULL reason)."""
    periodic, sigma = found.periodic, found.sigma
    result, t, y = periodic.result, periodic.time, periodic.y
    cand = result.candidate
    if not all(np.isfinite([cand.period, cand.epoch, cand.duration, cand.depth])):
        return DomainResult.all_null(NAMES, "no box with a dip fits the detrended flux",
                                     EXTRA_NAMES)
    values: dict[str, Value] = {
        "transit_bls_power": result.sde,
        "transit_bls_period": cand.period,
        "transit_bls_depth": cand.depth,
        "transit_bls_duration": cand.duration,
    }
    extras: dict[str, Value] = {"transit_bls_epoch": cand.epoch, "transit_bls_snr": cand.snr,
                                "transit_vetted": 1.0 if found.vetted else 0.0}
    out = DomainResult(values, {}, extras)

    single = SingleTransits(t, y, cand.period, cand.epoch, cand.duration)
    values["transit_n_detected"] = float(single.n_detected)
    if single.n_detected >= 2:
        values["transit_depth_consistency"] = float(np.std(single.depths(), ddof=1) / cand.depth)
    else:
        out.set_null(("transit_depth_consistency",),
                     "fewer than 2 transits of the best box have data")
    if single.n_detected >= 3:
        values["transit_timing_consistency"] = (
            timing_scatter(single.index, single.mid_times(TIMING_POSITIONS)) / cand.duration
        )
    else:
        out.set_null(("transit_timing_consistency",),
                     "fewer than 3 transits of the best box have data")

    if stellar_radius is not None and np.isfinite(stellar_radius) and stellar_radius > 0:
        radius = float(np.sqrt(max(cand.depth, 0.0)) * stellar_radius * R_SUN_OVER_R_JUP)
        values["transit_implied_r_planet_rjup"] = radius
        values["transit_physically_plausible"] = 1.0 if radius <= PLAUSIBLE_MAX_RJUP else 0.0
    else:
        out.set_null(("transit_implied_r_planet_rjup", "transit_physically_plausible"),
                     f"no stellar radius ({catalog} RADIUS) in the FITS headers")

    odd = single.index % 2 == 1
    d_odd, e_odd, n_odd = single.pooled_depth(odd, sigma)
    d_even, e_even, n_even = single.pooled_depth(~odd, sigma)
    if n_odd > 0 and n_even > 0:
        sigma_oe = abs(d_odd - d_even) / np.hypot(e_odd, e_even)
        extras["transit_odd_even_sigma"] = float(sigma_oe)
        values["transit_odd_even_consistent"] = 1.0 if sigma_oe <= ODD_EVEN_MAX_SIGMA else 0.0
    else:
        reason = "no odd or no even transit of the best box has data"
        out.set_null(("transit_odd_even_consistent",), reason)
        out.set_extras_null(("transit_odd_even_sigma",), reason)
    out.set_extra("transit_secondary_snr",
                  secondary_snr(t, y, sigma, cand, single.level, single.n_out),
                  "no cadence within the best box's duration of phase 0.5")
    return out


def transit_features(time: np.ndarray, flux: np.ndarray, stellar_radius: float | None,
                     parallel: bool = False, catalog: str = "KIC") -> DomainResult:
    """Search a normalised light curve and measure its best candidate."""
    try:
        found = search_transits(time, flux, parallel=parallel)
    except NotSearchableError as exc:
        return DomainResult.all_null(NAMES, str(exc), EXTRA_NAMES)
    return candidate_features(found, stellar_radius, catalog)


def compute(prepared: Prepared, parallel: bool = False) -> DomainResult:
    catalog = "TIC" if prepared.lc.mission == "tess" else "KIC"
    return transit_features(prepared.time, prepared.flux, prepared.lc.stellar.get("radius"),
                            parallel=parallel, catalog=catalog)


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute, EXTRAS)
