"""Shape domain (8): excursions and runs of the cleaned flux about its median.

Flux: `Prepared.flux` (single-cadence cosmic rays removed, flares and dips kept). The scale is
the robust sigma (stat_mad: 1.4826 x the median absolute deviation), so a transit or a flare
is measured against
the noise, not against itself. Runs and crossings come from one vectorised pass (no loop over
cadences); cadences exactly at the median belong to no run and do not cross.
"""

from __future__ import annotations

import numpy as np

from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, Value, declare
from lcfeat.lightcurve import robust
from lcfeat.lightcurve.robust import finite_cadences, robust_sigma, true_runs

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


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in the policy
        _, flux = finite_cadences(prepared.time, prepared.flux)
        return shape_features(flux)


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute)
