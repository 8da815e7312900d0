"""Statistical domain (12): the distribution of the cleaned, normalised flux.

Flux: `Prepared.flux` (per-quarter median-normalised PDCSAP, cosmic rays removed, dips kept).
One sort gives the median and every percentile; the moments are plain numpy means of powers of
the deviations, as scipy.stats computes them (biased estimators).
"""

from __future__ import annotations

import numpy as np

from lcfeat.features.base import DomainResult, Prepared, Value
from lcfeat.features.null_policy import finish, finite_cadences

DOMAIN = "statistical"
#: Fewer cleaned cadences than this and no statistic is reported.
MIN_POINTS = 3
#: 1 / Phi^-1(3/4): scales a median absolute deviation to sigma for Gaussian noise, the
#: constant scipy.stats.median_abs_deviation(scale="normal") uses.
MAD_TO_SIGMA = 1.482602218505602
#: Relative resolution below which the variance counts as zero (scipy.stats.skew's test).
_RESOLUTION = float(np.finfo(np.float64).resolution)


def percentile_sorted(sorted_x: np.ndarray, q: float) -> float:
    """numpy's default (linear) percentile of an already sorted array, in O(1)."""
    h = (sorted_x.size - 1) * q / 100.0
    lo = int(np.floor(h))
    hi = min(lo + 1, sorted_x.size - 1)
    frac = h - lo
    a, b = float(sorted_x[lo]), float(sorted_x[hi])
    return a + (b - a) * frac


def median_sorted(sorted_x: np.ndarray) -> float:
    n = sorted_x.size
    mid = n // 2
    if n % 2:
        return float(sorted_x[mid])
    return float((sorted_x[mid - 1] + sorted_x[mid]) / 2.0)


def robust_sigma_about(x: np.ndarray, center: float) -> float:
    """MAD_TO_SIGMA x median(|x - center|): stat_mad when center is the median."""
    return MAD_TO_SIGMA * float(np.median(np.abs(x - center)))


def statistical_features(flux: np.ndarray) -> tuple[dict[str, Value], dict[str, str]]:
    names = ("stat_mean", "stat_median", "stat_std", "stat_variance", "stat_mad",
             "stat_range", "stat_iqr", "stat_skewness", "stat_kurtosis",
             "stat_percentile_5", "stat_percentile_95", "stat_beyond_1sigma")
    n = flux.size
    if n < MIN_POINTS:
        reason = f"{n} cadences after cleaning, fewer than {MIN_POINTS}"
        return dict.fromkeys(names), dict.fromkeys(names, reason)

    sorted_x = np.sort(flux)
    median = median_sorted(sorted_x)
    # numpy scalars throughout: Python float ** raises OverflowError where numpy gives inf.
    mean = np.mean(flux)
    dev = flux - mean
    dev2 = dev * dev
    m2 = np.mean(dev2)
    std = np.sqrt(m2)
    values: dict[str, Value] = {
        "stat_mean": float(mean),
        "stat_median": median,
        "stat_std": float(std),
        "stat_variance": float(m2),
        "stat_mad": robust_sigma_about(flux, median),
        "stat_range": float(sorted_x[-1] - sorted_x[0]),
        "stat_iqr": percentile_sorted(sorted_x, 75.0) - percentile_sorted(sorted_x, 25.0),
        "stat_percentile_5": percentile_sorted(sorted_x, 5.0),
        "stat_percentile_95": percentile_sorted(sorted_x, 95.0),
    }
    reasons: dict[str, str] = {}
    if m2 <= (_RESOLUTION * mean) ** 2:
        # Constant flux (up to rounding): higher moments are 0/0.
        reason = "flux is constant: skewness and kurtosis are undefined"
        values.update(stat_skewness=None, stat_kurtosis=None, stat_beyond_1sigma=0.0)
        reasons.update(stat_skewness=reason, stat_kurtosis=reason)
    else:
        values["stat_skewness"] = float(np.mean(dev2 * dev) / (m2 * std))
        values["stat_kurtosis"] = float(np.mean(dev2 * dev2) / (m2 * m2) - 3.0)
        values["stat_beyond_1sigma"] = np.count_nonzero(np.abs(dev) > std) / n
    return values, reasons


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in finish()
        _, flux = finite_cadences(prepared.time, prepared.flux)
        values, reasons = statistical_features(flux)
    return finish(DOMAIN, values, reasons)
