"""Shape domain (8 + 2 extras): excursions and runs of the cleaned flux about its median, and
the star's flares.

Flux: `Prepared.flux` (single-cadence cosmic rays removed, flares and dips kept). The scale is
the robust sigma (stat_mad: 1.4826 x the median absolute deviation), so a transit or a flare
is measured against
the noise, not against itself. Runs and crossings come from one vectorised pass (no loop over
cadences); cadences exactly at the median belong to no run and do not cross.

The extras count flares (`lcfeat.lightcurve.flares`: Chang et al. 2015 as AltaiPony applies
it) in the same flux, divided by the star's periodic variability (the transit search's
harmonic model) when a running median over 6.4 hours would cut its maxima or be thrown by
its slope, and give their
rate and the share of the star's light they emit. A quiet
star has 0 for both; they are NULL only when there is nothing to measure against. The flux
the features see keeps its flares.
"""

from __future__ import annotations

import numpy as np

from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, Extra, Value, declare
from lcfeat.lightcurve import robust
from lcfeat.lightcurve.flares import (
    QUIESCENT_WINDOW_D,
    FlaresNotMeasurableError,
    find_flares,
)
from lcfeat.lightcurve.robust import binned_means, robust_sigma, true_runs
from lcfeat.search.detrend import PREWHITEN_BIN_D, dominant_frequency, periodic_model

DOMAIN = "shape"
#: The flux this domain is computed on (docs/features.md says it for every domain).
FLUX = (
    "normalised PDCSAP flux with single-cadence cosmic rays removed (flares and dips kept)"
)
FEATURES = declare(
    DOMAIN,
    ("shape_n_high_excursions", "count",
     "number of cadences more than 3 robust sigma (stat_mad) above the median",
     "lcfeat definition"),
    ("shape_n_low_excursions", "count",
     "number of cadences more than 3 robust sigma below the median", "lcfeat definition"),
    ("shape_max_excursion_up", "robust sigma",
     "(maximum - median) / robust sigma", "lcfeat definition"),
    ("shape_max_excursion_down", "robust sigma",
     "(median - minimum) / robust sigma", "lcfeat definition"),
    ("shape_asymmetry", "dimensionless",
     "(n_high - n_low) / (n_high + n_low + 1) with the 3-sigma excursion counts: in (-1, 1), "
     "negative when dips dominate, finite when there are none", "lcfeat definition"),
    ("shape_max_consecutive_up", "count",
     "longest run of consecutive cadences above the median", "lcfeat definition"),
    ("shape_max_consecutive_down", "count",
     "longest run of consecutive cadences below the median", "lcfeat definition"),
    ("shape_crossing_rate", "1/cadence",
     "number of sign changes of (flux - median) divided by (number of cadences - 1); "
     "cadences exactly at the median are skipped",
     "lcfeat definition"),
)
NAMES = tuple(f.name for f in FEATURES)
#: The flares both extras count, said once for both definitions (a label, not a setting).
_FLARES = (
    "flares found by Chang et al. (2015, ApJ 814, 35) Eqs. 3a-d with AltaiPony's defaults "
    "(find_flares_in_cont_obs_period and find_flares): a cadence passes when its excess "
    "(flux over the quiescent flux, minus 1) is positive, above 3 sigma and above 2 sigma "
    "once its flux error is taken off, sigma the robust sigma of the excess; a flare is a "
    "run of 3 or more consecutive passing cadences, never across a gap of over 1.5 "
    "cadences, runs fewer than 3 cadences apart one flare. The quiescent flux is the "
    "running median over 6.4 h (13 Kepler long cadences) of the flux, divided first by the "
    "star's periodic variability when that median would cut its maxima by more than the "
    "per-cadence noise or the flux drifts by more than half of it per cadence (judged on the "
    "curvature and slope of the flux's 0.1-d means, against the scatter of second "
    "differences; the model as the "
    "transit search prewhitens: the dominant period of an FFT, or twice it when the folded "
    "halves differ, 4 harmonics per base period and a line fitted in 5-d chunks). 0.0 "
    "without flares; NULL when there is nothing to measure "
    "against (fewer than 20 cadences or than the 6.4-h window holds, a quiescent flux that "
    "is not positive, a zero sigma)"
)
#: Stored beside the features in the same row, not among the 63.
EXTRAS = (
    Extra("shape_flare_rate", "1/d",
          "number of flares per day of observing time (number of cadences x cadence), the "
          + _FLARES),
    Extra("shape_flare_flux_fraction", "dimensionless",
          "sum of the flares' equivalent durations (excess x cadence summed over each "
          "flare's cadences; a flare's tail below 3 sigma is not in it) over the observing "
          "time: the share of the star's light emitted in the detected flares, L_flare / "
          "L_quiescent in the band observed (Kepler, TESS), the " + _FLARES),
)
#: The periodic variability is fitted where the FFT of the flux binned to PREWHITEN_BIN_D
#: has at most this many bins (42,900 days: no light curve spans more, a broken time axis
#: might).
MAX_PREWHITEN_BINS = 1 << 20
#: The periodic variability is divided out only when the running median of the quiescent
#: flux would cut the star's maxima (or fill its minima) by more than this many times the
#: per-cadence noise (`median_cuts_maxima`) ...
MAX_MEDIAN_CUT_SIGMA = 1.0
#: ... or when the flux drifts by more than this many times that noise per cadence ...
MAX_DRIFT_SIGMA = 0.5
#: ... both judged on the flux's means in bins of this (days).
CURVATURE_BIN_D = 0.1
#: An excursion is a cadence more than this many robust sigma from the median.
EXCURSION_SIGMA = 3.0
MIN_POINTS = 3


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest block of consecutive True values."""
    if not mask.any():
        return 0
    starts, ends = true_runs(mask)
    return int(np.max(ends - starts))


def median_crossings(deviation: np.ndarray) -> int:
    """Sign changes of the deviation from the median, cadences exactly at it skipped."""
    signs = np.sign(deviation)
    signs = signs[signs != 0]
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


#: The features measured in robust sigma: NULL together when that scale is zero.
SCALED = ("shape_n_high_excursions", "shape_n_low_excursions", "shape_max_excursion_up",
          "shape_max_excursion_down", "shape_asymmetry")


def shape_features(flux: np.ndarray) -> DomainResult:
    n = flux.size
    if n < MIN_POINTS:
        return DomainResult.all_null(NAMES, f"{n} cadences after cleaning, fewer than {MIN_POINTS}")

    median = robust.median(flux)
    deviation = flux - median
    above = deviation > 0
    below = deviation < 0
    values: dict[str, Value] = {
        "shape_max_consecutive_up": float(longest_run(above)),
        "shape_max_consecutive_down": float(longest_run(below)),
        "shape_crossing_rate": median_crossings(deviation) / (n - 1),
    }
    sigma = robust_sigma(flux, median)
    if sigma > 0:
        n_high = int(np.count_nonzero(deviation > EXCURSION_SIGMA * sigma))
        n_low = int(np.count_nonzero(deviation < -EXCURSION_SIGMA * sigma))
        values.update(
            shape_n_high_excursions=float(n_high),
            shape_n_low_excursions=float(n_low),
            shape_max_excursion_up=float(np.max(deviation) / sigma),
            shape_max_excursion_down=float(-np.min(deviation) / sigma),
            shape_asymmetry=(n_high - n_low) / (n_high + n_low + 1),
        )
        return DomainResult(values)
    return DomainResult(values).set_null(
        SCALED, "robust sigma is zero (half the cadences or more equal the median)")


def median_cuts_maxima(time: np.ndarray, flux: np.ndarray, cadence: float) -> bool:
    """True when a running median over QUIESCENT_WINDOW_D does not give the quiescent flux of
    a star that varies, so its periodic variability must be divided out first: it would cut
    the star's maxima by more than MAX_MEDIAN_CUT_SIGMA x the per-cadence noise (near a
    maximum of curvature c, the median of a window W is the value W / 4 from its centre,
    c (W / 4)^2 / 2 below the peak), or the flux drifts by more than MAX_DRIFT_SIGMA x the
    noise per cadence (the median of a steady slope is its centre cadence itself: half the
    excess would be exactly 0, and its sigma with it). c and the drift are the 90th
    percentiles of the second and first differences of the flux's CURVATURE_BIN_D means
    (consecutive bins): a rotation of hours or days has them, a quiet star's noise and slow
    drifts do not. The noise is `curvature_free_sigma`; `cadence` is the light curve's
    (days)."""
    filled, means = binned_means(time, flux, CURVATURE_BIN_D)
    triple = (filled[2:] - filled[:-2]) == 2
    pair = (filled[1:] - filled[:-1]) == 1
    if not np.any(triple):
        return False
    noise = curvature_free_sigma(flux)
    second = np.abs(means[2:] - 2.0 * means[1:-1] + means[:-2])[triple]
    curvature = float(np.percentile(second, 90)) / CURVATURE_BIN_D**2
    cut = 0.5 * curvature * (QUIESCENT_WINDOW_D / 4.0) ** 2
    drift = float(np.percentile(np.abs(np.diff(means)[pair]), 90)) * cadence / CURVATURE_BIN_D
    return cut > MAX_MEDIAN_CUT_SIGMA * noise or drift > MAX_DRIFT_SIGMA * noise


def curvature_free_sigma(flux: np.ndarray) -> float:
    """Per-cadence white noise from the robust scatter of second differences (over sqrt 6):
    a rotation's slope, which fills the point-to-point scatter of a star turning in a day or
    two, cancels in them."""
    if flux.size < 3:
        return float("nan")
    return robust_sigma(flux[2:] - 2.0 * flux[1:-1] + flux[:-2]) / np.sqrt(6.0)


def periodic_variability(time: np.ndarray, flux: np.ndarray, cadence: float
                         ) -> np.ndarray | float:
    """The star's periodic variability, as the transit search models it (its dominant period
    with harmonics and a line in chunks; `lcfeat.search.detrend`), to divide the flux by so
    that a fast rotator's maxima do not rise above the running median the flares are measured
    against; 1.0 when there is no period to fit."""
    if time.size < 2 or np.any(np.diff(time) < 0) or \
            (time[-1] - time[0]) / PREWHITEN_BIN_D >= MAX_PREWHITEN_BINS:
        return 1.0
    if not median_cuts_maxima(time, flux, cadence):
        return 1.0  # most stars: the fit costs about 20 ms of a 17-quarter star's 0.25 s
    frequency = dominant_frequency(time, flux)
    if frequency is None:
        return 1.0
    return periodic_model(time, flux, frequency)[0]


def add_flare_extras(result: DomainResult, time: np.ndarray, flux: np.ndarray,
                     flux_err: np.ndarray, cadence: float) -> DomainResult:
    """`result` with `shape_flare_rate` and `shape_flare_flux_fraction` of the finite
    cadences `time`, `flux`, `flux_err` sampled every `cadence` days (NULL with the reason
    when they give nothing to measure flares against)."""
    model = periodic_variability(time, flux, cadence)
    try:
        flares = find_flares(time, flux / model, flux_err / model, cadence)
    except FlaresNotMeasurableError as exc:
        return result.set_extras_null((extra.name for extra in EXTRAS), str(exc))
    result.extras.update(shape_flare_rate=flares.rate,
                         shape_flare_flux_fraction=flares.flux_fraction)
    return result


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in the policy
        ok = np.isfinite(prepared.time) & np.isfinite(prepared.flux)
        time, flux = prepared.time[ok], prepared.flux[ok]
        return add_flare_extras(shape_features(flux), time, flux, prepared.flux_err[ok],
                                prepared.cadence)


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute, EXTRAS)
