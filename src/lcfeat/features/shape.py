"""Shape domain (8): excursions and runs of the cleaned flux about its median.

Flux: `Prepared.flux` (cosmic rays removed, dips kept). The scale is the robust sigma
(stat_mad: 1.4826 x the median absolute deviation), so a transit or a flare is measured against
the noise, not against itself. Runs and crossings come from one vectorised pass (no loop over
cadences); cadences exactly at the median belong to no run and do not cross.
"""

from __future__ import annotations

import numpy as np

from lcfeat.features.base import DomainResult, Prepared, Value
from lcfeat.features.null_policy import finish, finite_cadences
from lcfeat.features.statistical import robust_sigma_about

DOMAIN = "shape"
#: An excursion is a cadence more than this many robust sigma from the median.
EXCURSION_SIGMA = 3.0
MIN_POINTS = 3


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest block of consecutive True values."""
    if not mask.any():
        return 0
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return int(np.max(ends - starts))


def median_crossings(deviation: np.ndarray) -> int:
    """Sign changes of the deviation from the median, cadences exactly at it skipped."""
    signs = np.sign(deviation)
    signs = signs[signs != 0]
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def shape_features(flux: np.ndarray) -> tuple[dict[str, Value], dict[str, str]]:
    names = ("shape_n_high_excursions", "shape_n_low_excursions", "shape_max_excursion_up",
             "shape_max_excursion_down", "shape_asymmetry", "shape_max_consecutive_up",
             "shape_max_consecutive_down", "shape_crossing_rate")
    n = flux.size
    if n < MIN_POINTS:
        reason = f"{n} cadences after cleaning, fewer than {MIN_POINTS}"
        return dict.fromkeys(names), dict.fromkeys(names, reason)

    median = np.median(flux)
    deviation = flux - median
    above = deviation > 0
    below = deviation < 0
    values: dict[str, Value] = {
        "shape_max_consecutive_up": float(longest_run(above)),
        "shape_max_consecutive_down": float(longest_run(below)),
        "shape_crossing_rate": median_crossings(deviation) / (n - 1),
    }
    reasons: dict[str, str] = {}
    sigma = robust_sigma_about(flux, median)
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
    else:
        reason = "robust sigma is zero (half the cadences or more equal the median)"
        for name in names[:5]:
            values[name] = None
            reasons[name] = reason
    return values, reasons


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in finish()
        _, flux = finite_cadences(prepared.time, prepared.flux)
        values, reasons = shape_features(flux)
    return finish(DOMAIN, values, reasons)
