"""Residual domain (8 features): the flux after removing its slow variability.

Residuals are `Prepared.residuals`: the cleaned flux divided by its wotan biweight trend
(window 1 d) minus 1. Everything here is O(N), except the median and the histogram (O(N log N)
at worst), and accumulates sums in a fixed order, so the result is the same bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.special import chdtrc, ndtr

from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, declare
from lcfeat.lightcurve import robust
from lcfeat.lightcurve.robust import (
    KEPLER_CADENCE_D,
    SEGMENT_GAP_DAYS,
    cadences_in,
    finite_cadences,
    median_cadence,
    robust_sigma,
)

DOMAIN = "residual"
#: The flux this domain is computed on (docs/features.md says it for every domain).
FLUX = (
    "the cleaned flux divided by its wotan biweight trend (window 1 d; computed every 1/24 "
    "of the window and interpolated between, about 0.02 sigma rms from the trend computed "
    "at every cadence)"
)
FEATURES = declare(
    DOMAIN,
    ("resid_after_detrend_std", "relative flux",
     "standard deviation of the detrended flux (flux / biweight trend - 1)",
     "wotan.flatten(method='biweight'), Hippke et al. 2019"),
    ("resid_after_detrend_autocorr", "dimensionless",
     "sample autocorrelation of the residuals at a lag of one Kepler long cadence (29.4 min; "
     "the nearest whole number L of cadences: 1 for Kepler, 15 for TESS 2-min) over pairs "
     "of cadences L apart in the same continuous segment: sum of (r_i - mean)(r_i+L - mean) "
     "over those pairs divided by the sum of (r_i - mean)^2",
     "Box, Jenkins & Reinsel, sect. 2.1"),
    ("resid_structure_score", "dimensionless",
     "mean of three numbers in [0, 1]: |resid_after_detrend_autocorr| and, for the "
     "Ljung-Box and runs-test p-values p, min(1, -log10(p) / 10): about 0.03 for white "
     "residuals (1 - p would average 0.5), 1 for strongly structured ones",
     "lcfeat definition"),
    ("resid_power_ratio", "dimensionless",
     "variance of the residuals divided by the variance of the cleaned flux",
     "lcfeat definition"),
    ("resid_entropy", "bit",
     "Shannon entropy of the histogram of residuals in 32 equal bins spanning the median "
     "+-5 robust sigma (1.4826 MAD; outside values in the end bins), in bits (at most 5)",
     "Shannon 1948"),
    ("resid_run_test_pvalue", "probability",
     "two-sided p-value of the Wald-Wolfowitz runs test of residual >= median (normal "
     "approximation)", "statsmodels.sandbox.stats.runs.runstest_1samp(cutoff='median')"),
    ("resid_ljung_box_pvalue", "probability",
     "p-value of the Ljung-Box test on the residuals over lags up to 4.9 h (10 Kepler long "
     "cadences; 147 TESS 2-min cadences)",
     "statsmodels.stats.diagnostic.acorr_ljungbox"),
    ("resid_complexity", "dimensionless",
     "Lempel-Ziv (1976) complexity (number of components of the exhaustive history, as "
     "counted by Kaspar & Schuster) of residual > median, computed in linear time with a "
     "suffix automaton, times log2(n) / n (about 1 for random bits, near 0 for periodic)",
     "Lempel & Ziv 1976; Kaspar & Schuster 1987, Phys. Rev. A 36, 842"),
)
NAMES = tuple(f.name for f in FEATURES)

#: Fewer residuals than this give NULL.
MIN_POINTS = 20
#: Ljung-Box test lag (statsmodels' default for long series is min(nobs // 5, 10)): 10 Kepler
#: long cadences, in cadences of the light curve.
LJUNG_BOX_LAG = 10
LJUNG_BOX_LAG_D = LJUNG_BOX_LAG * KEPLER_CADENCE_D
#: The residual autocorrelation's lag: one Kepler long cadence, in cadences of the light curve.
AUTOCORR_LAG_D = KEPLER_CADENCE_D
#: Entropy histogram: bins, and half-width in robust sigma about the median.
ENTROPY_BINS = 32
ENTROPY_HALF_WIDTH = 5.0
#: A p-value maps to structure min(1, -log10(p) / STRUCTURE_LOG10_P_SCALE): 1 at p <= 1e-10,
#: 0.04 on average for white noise (E[-log10 p] = 1 / ln 10 = 0.43 for a uniform p).
STRUCTURE_LOG10_P_SCALE = 10.0


# --- Lempel-Ziv complexity -------------------------------------------------------------------


@njit(cache=True)
def lempel_ziv_complexity(bits: np.ndarray) -> int:
    """Number of components of the Lempel-Ziv (1976) exhaustive history of a 0/1 sequence.

    Each component is the shortest prefix of the rest of the sequence that does not occur
    earlier (an occurrence may overlap the component itself, as in Kaspar & Schuster 1987,
    Phys. Rev. A 36, 842); an unfinished last component counts. For example 0001101001000101
    has the history 0.001.10.100.1000.101, complexity 6.

    Linear time: the sequence is fed once into a suffix automaton (Blumer et al. 1985) and each
    component is traced through it; Kaspar & Schuster's scan is O(n^2 / log n) for random bits.
    """
    n = bits.size
    if n == 0:
        return 0
    size = 2 * n + 2
    # Transitions on 0 and 1, suffix links, longest string of each state (int32: half the
    # memory traffic of int64; n < 2^30 cadences).
    next0 = np.full(size, -1, dtype=np.int32)
    next1 = np.full(size, -1, dtype=np.int32)
    link = np.full(size, -1, dtype=np.int32)
    length = np.zeros(size, dtype=np.int32)
    n_states = 1
    last = 0  # state of the whole text fed so far

    complexity = 0
    # The current component starts at position - matched; `state` is the automaton state of
    # its first `matched` characters, which occur earlier in the sequence.
    matched = 0
    state = 0
    for position in range(n + 1):
        # Invariant: bits[:position] has been fed, so a transition on bits[position] means the
        # component extended by it occurs in bits[:position], i.e. starts earlier (overlap
        # allowed).
        if position == n:
            if matched > 0:  # the sequence ends inside a reproducible component
                complexity += 1
            break
        symbol = bits[position]
        target = next1[state] if symbol else next0[state]
        if target != -1:
            state = target
            matched += 1
        else:
            complexity += 1
            matched = 0
            state = 0
        # Feed bits[position] (standard online suffix automaton construction).
        cur = n_states
        n_states += 1
        length[cur] = length[last] + 1
        p = last
        if symbol:
            while p != -1 and next1[p] == -1:
                next1[p] = cur
                p = link[p]
        else:
            while p != -1 and next0[p] == -1:
                next0[p] = cur
                p = link[p]
        if p == -1:
            link[cur] = 0
        else:
            q = next1[p] if symbol else next0[p]
            if length[p] + 1 == length[q]:
                link[cur] = q
            else:
                clone = n_states
                n_states += 1
                length[clone] = length[p] + 1
                next0[clone] = next0[q]
                next1[clone] = next1[q]
                link[clone] = link[q]
                if symbol:
                    while p != -1 and next1[p] == q:
                        next1[p] = clone
                        p = link[p]
                else:
                    while p != -1 and next0[p] == q:
                        next0[p] = clone
                        p = link[p]
                link[q] = clone
                link[cur] = clone
        last = cur
        # A clone takes over the shorter strings of the state it splits: follow it if the
        # current component is now one of them.
        if state != 0 and matched <= length[link[state]]:
            state = link[state]
    return complexity


def normalised_lempel_ziv(bits: np.ndarray) -> float:
    """Complexity times log2(n) / n: tends to 1 for random bits, to 0 for periodic ones."""
    n = bits.size
    return lempel_ziv_complexity(bits) * math.log2(n) / n


# --- tests of whiteness ----------------------------------------------------------------------


def runs_test_pvalue(x: np.ndarray, median: float | None = None) -> float:
    """Two-sided p-value of the Wald-Wolfowitz runs test of x >= median(x).

    Normal approximation with the continuity correction below 50 points, and the binomial
    value for a single run, as statsmodels.sandbox.stats.runs.runstest_1samp(cutoff='median').
    """
    above = x >= (robust.median(x) if median is None else median)
    n = above.size
    n_runs = 1 + int(np.count_nonzero(above[1:] != above[:-1]))
    if n_runs == 1:
        return 2.0 / 2.0 ** (min(n, 1024) - 1)
    n_above = int(np.count_nonzero(above))
    npn = float(n_above) * float(n - n_above)
    mean = 2.0 * npn / n + 1.0
    var = 2.0 * npn * (2.0 * npn - n) / n**2 / (n - 1.0)
    z = n_runs - mean
    if n < 50:
        if z > 0.5:
            z -= 0.5
        elif z < 0.5:
            z += 0.5
        else:
            z = 0.0
    z /= math.sqrt(var)
    return float(2.0 * ndtr(-abs(z)))  # scipy.stats.norm.sf, without loading scipy.stats


@njit(cache=True)
def _autocovariances(x: np.ndarray, max_lag: int) -> np.ndarray:
    """sum_t x_t x_{t+k} for k = 0..max_lag, in a fixed order (x already centred)."""
    out = np.zeros(max_lag + 1)
    n = x.size
    for k in range(max_lag + 1):
        total = 0.0
        for t in range(n - k):
            total += x[t] * x[t + k]
        out[k] = total
    return out


def ljung_box_pvalue(x: np.ndarray, lag: int = LJUNG_BOX_LAG) -> float:
    """p-value of the Ljung-Box Q at `lag`, as statsmodels.stats.diagnostic.acorr_ljungbox."""
    n = x.size
    gamma = _autocovariances(x - x.mean(), lag)
    acf = gamma[1:] / gamma[0]
    q = n * (n + 2.0) * float(np.sum(acf**2 / (n - np.arange(1, lag + 1))))
    return float(chdtrc(lag, q))  # scipy.stats.chi2.sf, without loading scipy.stats


@njit(cache=True)
def _lag_within_segments(x: np.ndarray, time: np.ndarray, gap: float, lag: int) -> float:
    """Sample autocorrelation at `lag` cadences (Box-Jenkins r_lag) over pairs of cadences
    `lag` apart in the same continuous segment (no step between them longer than `gap`):
    sum (x_i - m)(x_{i+lag} - m) / sum (x_i - m)^2."""
    n = x.size
    mean = 0.0
    for i in range(n):
        mean += x[i]
    mean /= n
    # segment[i]: how many gaps precede cadence i; a pair is in one segment when equal
    segment = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        segment[i] = segment[i - 1] + (1 if time[i] - time[i - 1] > gap else 0)
    num = 0.0
    den = 0.0
    for i in range(n):
        d = x[i] - mean
        den += d * d
        if i + lag < n and segment[i + lag] == segment[i]:
            num += d * (x[i + lag] - mean)
    return num / den


@njit(cache=True)
def _bin_counts(z: np.ndarray, n_bins: int, half_width: float) -> np.ndarray:
    """Counts of z in n_bins equal bins over [-half_width, half_width], outside in the ends."""
    counts = np.zeros(n_bins, dtype=np.int64)
    scale = n_bins / (2.0 * half_width)
    for value in z:
        position = (value + half_width) * scale
        if position < 1.0:  # also -inf
            index = 0
        elif position >= n_bins - 1:  # also +inf
            index = n_bins - 1
        else:
            index = int(position)
        counts[index] += 1
    return counts


def histogram_entropy(x: np.ndarray, median: float | None = None) -> float | None:
    """Shannon entropy (bits) of x in ENTROPY_BINS equal bins spanning median +- 5 robust
    sigma (1.4826 MAD), values outside in the end bins; None when the robust sigma is 0."""
    centre = robust.median(x) if median is None else median
    sigma = robust_sigma(x, centre)
    if not (sigma > 0.0 and math.isfinite(sigma)):
        return None
    # Bins of the standardised value: huge outliers become +-inf and land in the end bins.
    z = (x - centre) / sigma
    counts = _bin_counts(z, ENTROPY_BINS, ENTROPY_HALF_WIDTH)
    p = counts[counts > 0] / x.size
    return float(-np.sum(p * np.log2(p)))


def _scaled_std(x: np.ndarray) -> float:
    """Standard deviation (ddof=0) computed on x / max|x| so that squares cannot overflow."""
    scale = float(np.max(np.abs(x)))
    if scale == 0.0:
        return 0.0
    return scale * float(np.std(x / scale))


def structure_score(lag1: float, ljung_box_p: float, runs_p: float) -> float:
    """Mean of |r_1| and the two p-values mapped to [0, 1] by min(1, -log10(p) / 10)."""

    def from_pvalue(p: float) -> float:
        if p <= 0.0:
            return 1.0
        return min(1.0, -math.log10(p) / STRUCTURE_LOG10_P_SCALE)

    return (min(abs(lag1), 1.0) + from_pvalue(ljung_box_p) + from_pvalue(runs_p)) / 3.0


# --- the domain ------------------------------------------------------------------------------


def residual_features(
    residuals: np.ndarray, time: np.ndarray, flux: np.ndarray
) -> DomainResult:
    """The 8 features of finite `residuals` at `time` (d), and of the `flux` they came from.
    Lags defined in time become cadences of the residuals' own cadence."""
    n = int(residuals.size)
    if n < MIN_POINTS:
        return DomainResult.all_null(
            NAMES, f"{n} residuals with a defined trend, fewer than the {MIN_POINTS} needed")

    result = DomainResult({})
    std = _scaled_std(residuals)
    result.values["resid_after_detrend_std"] = std
    flux_std = _scaled_std(flux)
    if flux_std > 0.0:
        ratio = std / flux_std
        result.values["resid_power_ratio"] = ratio * ratio  # inf, not OverflowError, like numpy
    else:
        result.set_null(("resid_power_ratio",), "constant flux: variance ratio undefined")

    if std == 0.0:
        result.set_null(
            ("resid_after_detrend_autocorr", "resid_structure_score", "resid_run_test_pvalue",
             "resid_ljung_box_pvalue", "resid_complexity"),
            "constant residuals: autocorrelation, tests and complexity undefined",
        )
    else:
        # Scaled copy: the statistics below are scale-free, and this cannot overflow.
        scaled = residuals / float(np.max(np.abs(residuals)))
        median = robust.median(scaled)
        cadence = median_cadence(time)
        lag1 = _lag_within_segments(scaled, time, SEGMENT_GAP_DAYS,
                                    cadences_in(AUTOCORR_LAG_D, cadence))
        runs_p = runs_test_pvalue(scaled, median)
        ljung_box_p = ljung_box_pvalue(
            scaled, min(cadences_in(LJUNG_BOX_LAG_D, cadence), n - 1))
        result.values["resid_after_detrend_autocorr"] = lag1
        result.values["resid_run_test_pvalue"] = runs_p
        result.values["resid_ljung_box_pvalue"] = ljung_box_p
        result.values["resid_structure_score"] = structure_score(lag1, ljung_box_p, runs_p)
        bits = (scaled > median).astype(np.uint8)
        result.values["resid_complexity"] = normalised_lempel_ziv(bits)

    # The histogram in robust-sigma units is scale-free too: reuse the scaled copy and median.
    entropy = histogram_entropy(scaled, median) if std > 0.0 else None
    if entropy is None:
        result.set_null(("resid_entropy",),
                        "robust sigma of the residuals is 0: no histogram scale")
    else:
        result.values["resid_entropy"] = entropy
    return result


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in the policy
        _, flux = finite_cadences(prepared.time, prepared.flux)
        if flux.size < MIN_POINTS:
            return DomainResult.all_null(
                NAMES, f"{flux.size} clean cadences, fewer than the {MIN_POINTS} needed")
        try:
            time, residuals = finite_cadences(prepared.residual_time, prepared.residuals)
        except (ArithmeticError, SystemError) as error:
            # wotan's compiled biweight divides by zero on absurd flux (e.g. 1e308 values).
            return DomainResult.all_null(
                NAMES, f"biweight trend failed on this flux: {type(error).__name__}: {error}")
        return residual_features(residuals, time, flux)


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute)
