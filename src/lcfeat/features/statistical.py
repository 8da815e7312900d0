"""Statistical domain (12): the distribution of the cleaned, normalised flux.

Flux: `Prepared.flux` (per-quarter median-normalised PDCSAP, single-cadence cosmic rays removed,
flares and dips kept).
One sort gives the median and every percentile; the moments are plain numpy means of powers of
the deviations, as scipy.stats computes them (biased estimators).
"""

from __future__ import annotations

import numpy as np

from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, Value, declare
from lcfeat.lightcurve.robust import finite_cadences, robust_sigma

DOMAIN = "statistical"
#: The flux this domain is computed on (docs/features.md says it for every domain).
FLUX = (
    "normalised PDCSAP flux with single-cadence cosmic rays removed (flares and dips kept): "
    "a cadence more than 5 robust sigma above its 9-cadence running median whose neighbours "
    "are both within 3 sigma of it"
)
FEATURES = declare(
    DOMAIN,
    ("stat_mean", "relative flux", "arithmetic mean", "numpy.mean"),
    ("stat_median", "relative flux", "median", "numpy.median"),
    ("stat_std", "relative flux",
     "standard deviation (ddof=0)", "numpy.std"),
    ("stat_variance", "relative flux^2",
     "variance (ddof=0), stat_std squared", "numpy.var"),
    ("stat_mad", "relative flux",
     "median absolute deviation from the median, scaled by 1.4826 to estimate sigma for "
     "Gaussian noise", "scipy.stats.median_abs_deviation(scale='normal')"),
    ("stat_range", "relative flux", "maximum minus minimum", "numpy.ptp"),
    ("stat_iqr", "relative flux",
     "75th minus 25th percentile (linear interpolation)", "scipy.stats.iqr"),
    ("stat_skewness", "dimensionless",
     "Fisher-Pearson coefficient of skewness (biased)", "scipy.stats.skew(bias=True)"),
    ("stat_kurtosis", "dimensionless",
     "excess kurtosis (Fisher, biased): 0 for a Gaussian",
     "scipy.stats.kurtosis(fisher=True, bias=True)"),
    ("stat_percentile_5", "relative flux",
     "5th percentile (linear interpolation)", "numpy.percentile"),
    ("stat_percentile_95", "relative flux",
     "95th percentile (linear interpolation)", "numpy.percentile"),
    ("stat_beyond_1sigma", "fraction",
     "fraction of cadences with |flux - mean| > stat_std", "Richards et al. 2011, ApJ 733, 10"),
)
NAMES = tuple(f.name for f in FEATURES)
#: Fewer cleaned cadences than this and no statistic is reported.
MIN_POINTS = 3
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


def statistical_features(flux: np.ndarray) -> DomainResult:
    n = flux.size
    if n < MIN_POINTS:
        return DomainResult.all_null(NAMES, f"{n} cadences after cleaning, fewer than {MIN_POINTS}")

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
        "stat_mad": robust_sigma(flux, median),
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
    return DomainResult(values, reasons)


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in the policy
        _, flux = finite_cadences(prepared.time, prepared.flux)
        return statistical_features(flux)


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute)
