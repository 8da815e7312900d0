"""Temporal domain (10): sampling, memory and trend of the cleaned flux.

Flux: `Prepared.flux` (single-cadence cosmic rays removed, flares and dips kept), split into
continuous segments at gaps longer than `SEGMENT_GAP_DAYS`. Everything is O(N) or
O(N log N): pairs at a lag are found by one two-pointer sweep, the rescaled range uses windows
in powers of two (two passes each), and the Dickey-Fuller regression runs on the flux binned
to one day (about 1,500 points for a full Kepler light curve) with one QR factorisation for
the whole lag-order search. No BLAS
call anywhere: its threads would fight the worker processes for the cores.
"""

from __future__ import annotations

import numba
import numpy as np

from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, Value, declare
from lcfeat.lightcurve.robust import (
    KEPLER_CADENCE_D,
    SEGMENT_GAP_DAYS,
    cadences_in,
    finite_cadences,
    median,
    segment_bounds,
)

DOMAIN = "temporal"
#: The flux this domain is computed on (docs/features.md says it for every domain).
FLUX = (
    "normalised PDCSAP flux with single-cadence cosmic rays removed (flares and dips kept), "
    "split into continuous "
    "segments at gaps longer than 0.5 d"
)
FEATURES = declare(
    DOMAIN,
    ("temp_duration_days", "d",
     "last minus first cadence time of the stitched light curve", "BKJD time column"),
    ("temp_n_points", "count",
     "number of cadences kept after the quality mask, finiteness and cosmic-ray clipping",
     "FEATURES.md input conventions"),
    ("temp_cadence_median", "d",
     "median time between consecutive kept cadences (29.4 min = 0.02043 d for Kepler LC, "
     "2 min = 0.00139 d for TESS 2-minute light curves)",
     "Kepler Instrument Handbook KSCI-19033"),
    ("temp_cadence_std", "d",
     "standard deviation of the time between consecutive kept cadences within segments "
     "(gaps over 0.5 d excluded)", "numpy.std"),
    ("temp_autocorr_1hr", "dimensionless",
     "autocorrelation at a lag of 1 hour, in whole cadences (the nearest: 2 at Kepler's "
     "29.4 min, 30 at TESS's 2 min): sum(a b) / sqrt(sum(a^2) sum(b^2)) pooled over every "
     "pair of cadences exactly that many slots apart on the cadence grid (masked cadences "
     "leave holes, they never shorten the lag) inside the same continuous segment, each flux "
     "taken minus its segment's mean so that gaps and level changes do not fake correlation",
     "Box, Jenkins & Reinsel, Time Series Analysis, sect. 2.1"),
    ("temp_autocorr_1day", "dimensionless",
     "as temp_autocorr_1hr at a lag of 1 day (49 Kepler cadences, 720 TESS 2-min cadences)",
     "Box, Jenkins & Reinsel, sect. 2.1"),
    ("temp_autocorr_1week", "dimensionless",
     "as temp_autocorr_1hr at a lag of 7 days (343 Kepler cadences, 5040 TESS 2-min "
     "cadences)",
     "Box, Jenkins & Reinsel, sect. 2.1"),
    ("temp_memory_coefficient", "dimensionless",
     "Hurst exponent by rescaled-range analysis: least-squares slope of log(mean R/S) "
     "against log(window) over non-overlapping windows of 7.85 h (16 Kepler cadences, 235 "
     "TESS 2-min cadences) up to N/4 in powers of two, on the consecutive-cadence increments "
     "of the flux within continuous segments (the step across a gap dropped): about 0.5 for "
     "white-noise increments, i.e. a random walk flux (R/S is biased upward in short windows: "
     "about 0.53 for 16..16384, Anis & Lloyd 1976)",
     "Hurst 1951; Mandelbrot & Wallis 1969"),
    ("temp_trend_strength", "dimensionless",
     "coefficient of determination R^2 of an ordinary least-squares line flux ~ time",
     "scipy.stats.linregress (rvalue^2)"),
    ("temp_stationarity_pvalue", "probability",
     "p-value of the augmented Dickey-Fuller test (constant, lag order by AIC up to 12) on "
     "the mean flux in 1 d bins counted from the first cadence (empty bins skipped); small "
     "means stationary",
     "statsmodels.tsa.stattools.adfuller"),
)
NAMES = tuple(f.name for f in FEATURES)

#: Autocorrelation lags (days), each the nearest whole number of cadences of the light curve:
#: 2, 49 and 343 Kepler long cadences (58.8 min, 1.0008 d, 7.009 d); 30, 720 and 5040 TESS
#: 2-minute cadences.
AUTOCORR_LAGS_D: dict[str, float] = {
    "temp_autocorr_1hr": 1.0 / 24.0,
    "temp_autocorr_1day": 1.0,
    "temp_autocorr_1week": 7.0,
}
#: Fewer pairs than this at a lag and its autocorrelation is NULL.
MIN_AUTOCORR_PAIRS = 10
#: Rescaled range: the smallest window, 16 Kepler long cadences (7.85 h), in cadences of the
#: light curve; the largest is N/4, in powers of two.
HURST_MIN_WINDOW_D = 16 * KEPLER_CADENCE_D
HURST_MIN_WINDOW = 16
#: ADF settings: bin width (d), the highest lag order tried, the fewest bins accepted.
ADF_BIN_DAYS = 1.0
ADF_MAX_LAG = 12
ADF_MIN_BINS = 20
#: Relative resolution below which a variance counts as zero.
_RESOLUTION = float(np.finfo(np.float64).resolution)


# --- sampling -------------------------------------------------------------------------------


def cadence_slots(time: np.ndarray, bounds: np.ndarray, cadence: float, gap: int) -> np.ndarray:
    """Index of each cadence on a regular grid of step `cadence`, strictly increasing.

    Steps are rounded per consecutive pair, so the slow drift of barycentric time stamps never
    accumulates, and masked cadences leave holes instead of shortening the lag. Consecutive
    segments are put `gap` slots apart, so no lag up to `gap - 1` pairs two segments.
    """
    steps = np.maximum(np.rint(np.diff(time) / cadence), 1.0)
    steps[bounds[1:-1] - 1] = gap
    slots = np.empty(time.size, dtype=np.float64)
    slots[0] = 0.0
    np.cumsum(steps, out=slots[1:])
    return slots


def segment_demeaned(flux: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Flux minus the mean of its own segment: a level change across a gap is not memory."""
    lengths = np.diff(bounds)
    means = np.add.reduceat(flux, bounds[:-1]) / lengths
    return flux - np.repeat(means, lengths)


@numba.njit(cache=True, nogil=True)
def _lag_sums(x: np.ndarray, slots: np.ndarray, lag: int) -> tuple[int, float, float, float]:
    """Pairs (x[i], x[j]) with slots[j] == slots[i] + lag, by one two-pointer sweep: O(N)."""
    n = x.size
    n_pairs = 0
    sab = 0.0
    saa = 0.0
    sbb = 0.0
    j = 0
    for i in range(n):
        target = slots[i] + lag
        while j < n and slots[j] < target:
            j += 1
        if j == n:
            break
        if slots[j] == target:
            n_pairs += 1
            sab += x[i] * x[j]
            saa += x[i] * x[i]
            sbb += x[j] * x[j]
    return n_pairs, sab, saa, sbb


def lag_autocorrelation(x: np.ndarray, slots: np.ndarray, lag: int) -> tuple[Value, str]:
    """sum(a b) / sqrt(sum(a^2) sum(b^2)) over pairs (a, b) exactly `lag` slots apart."""
    n_pairs, sab, saa, sbb = _lag_sums(x, slots, lag)
    if n_pairs < MIN_AUTOCORR_PAIRS:
        return None, f"{n_pairs} cadence pairs {lag} cadences apart within segments"
    if not np.isfinite(sab * saa * sbb):
        return None, "flux too large for the autocorrelation sums (overflow)"
    if not (saa > 0 and sbb > 0):
        return None, "flux is constant within segments: autocorrelation undefined"
    return float(sab / np.sqrt(saa * sbb)), ""


# --- memory ---------------------------------------------------------------------------------


def within_segment_increments(flux: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Consecutive-cadence differences, without the step across each gap."""
    keep = np.ones(max(flux.size - 1, 0), dtype=bool)
    keep[bounds[1:-1] - 1] = False
    return np.diff(flux)[keep]


def autocorr_lags(cadence: float) -> dict[str, int]:
    """The autocorrelation lags in cadences of `cadence` days (AUTOCORR_LAGS_D)."""
    return {name: cadences_in(lag, cadence) for name, lag in AUTOCORR_LAGS_D.items()}


def hurst_windows(n: int, min_window: int = HURST_MIN_WINDOW) -> np.ndarray:
    """Window lengths min_window, 2x, 4x ... up to n // 4."""
    sizes = []
    size = min_window
    while size <= n // 4:
        sizes.append(size)
        size *= 2
    return np.asarray(sizes, dtype=np.int64)


@numba.njit(cache=True, nogil=True)
def rescaled_range(x: np.ndarray, window: int) -> float:
    """Mean R/S over the non-overlapping windows of `window` points (NaN if none has S > 0).

    R is the range of the cumulative deviations from the window mean, S the standard
    deviation (ddof=0); two passes per window, no temporary arrays.
    """
    total = 0.0
    count = 0
    for b in range(x.size // window):
        base = b * window
        s = 0.0
        for k in range(window):
            s += x[base + k]
        mean = s / window
        profile = 0.0
        high = 0.0
        low = 0.0
        squares = 0.0
        for k in range(window):
            d = x[base + k] - mean
            profile += d
            squares += d * d
            high = max(high, profile)
            low = min(low, profile)
        if squares > 0.0:
            total += (high - low) / np.sqrt(squares / window)
            count += 1
    return total / count if count else np.nan


def hurst_exponent(increments: np.ndarray,
                   min_window: int = HURST_MIN_WINDOW) -> tuple[Value, str]:
    """Slope of log(mean R/S) against log(window) (Hurst 1951), windows in powers of two
    from `min_window` cadences."""
    windows = hurst_windows(increments.size, min_window)
    if windows.size < 2:
        return None, (
            f"{increments.size} increments: rescaled range needs at least "
            f"{8 * min_window} for two window sizes"
        )
    rs = np.array([rescaled_range(increments, int(w)) for w in windows])
    ok = np.isfinite(rs) & (rs > 0)
    if np.count_nonzero(ok) < 2:
        return None, "flux increments are constant: rescaled range undefined"
    # Least-squares slope in closed form (np.polyfit would go through LAPACK for 2 numbers).
    log_w = np.log(windows[ok])
    log_rs = np.log(rs[ok])
    log_w = log_w - log_w.mean()
    slope = np.sum(log_w * (log_rs - log_rs.mean())) / np.sum(log_w * log_w)
    return float(slope), ""


# --- trend and stationarity -----------------------------------------------------------------


def trend_r_squared(time: np.ndarray, flux: np.ndarray) -> tuple[Value, str]:
    """R^2 of the least-squares line flux ~ time (the squared Pearson correlation)."""
    tc = time - np.mean(time)
    fmean = np.mean(flux)
    fc = flux - fmean
    # einsum, not np.dot: a BLAS dot product may spin up threads that fight the workers.
    stt = np.einsum("i,i->", tc, tc)
    sff = np.einsum("i,i->", fc, fc)
    if not stt > 0:
        return None, "all cadences share one time: no trend can be fitted"
    if sff <= flux.size * (_RESOLUTION * fmean) ** 2:
        return None, "flux is constant: R^2 undefined"
    stf = np.einsum("i,i->", tc, fc)
    return float(min((stf / stt) * (stf / sff), 1.0)), ""


def bin_flux(time: np.ndarray, flux: np.ndarray, width: float) -> np.ndarray:
    """Mean flux in consecutive bins of `width` days from the first cadence; empty bins skipped."""
    day = np.floor((time - time[0]) / width)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(day)) + 1))
    counts = np.diff(np.append(starts, flux.size))
    return np.add.reduceat(flux, starts) / counts


def adf_pvalue(x: np.ndarray, max_lag: int = ADF_MAX_LAG) -> tuple[Value, str]:
    """Augmented Dickey-Fuller p-value, constant only, lag order by AIC (as statsmodels).

    Mirrors statsmodels.tsa.stattools.adfuller(x, maxlag, regression="c", autolag="AIC"):
    every lag order 0..max_lag is fitted on the common sample, the one with the smallest AIC
    is refitted on its full sample, and the t statistic of the lagged level goes through
    MacKinnon's (1994) approximation. The nested models share one QR factorisation.
    """
    nobs = x.size
    max_lag = min(max_lag, nobs // 2 - 2)  # statsmodels' limit: nobs // 2 - ntrend - 1
    if nobs < ADF_MIN_BINS or max_lag < 0:
        return None, f"{nobs} daily bins, fewer than {ADF_MIN_BINS} for the ADF test"
    diff = np.diff(x)
    if not (np.isfinite(x).all() and np.isfinite(diff).all()):
        return None, "binned flux overflows the ADF regression"
    if np.ptp(x) <= _RESOLUTION * np.max(np.abs(x)):
        return None, "binned flux is constant: ADF test undefined"

    # Lag-order search: columns [const, level, diff lag 1..max_lag], rows t = max_lag..
    # One QR of the largest model gives every nested model's residual sum of squares.
    y, columns = _adf_design(x, diff, max_lag, level_last=False)
    diag, qty, ssr_full = _householder_qr(columns, y)
    if not _full_rank(diag, y.size):
        return None, "ADF regressors are collinear"
    n = y.size
    best_aic, best_lag = np.inf, 0
    for lag in range(max_lag + 1):
        k = lag + 2
        ssr = ssr_full + float(np.sum(qty[k:] ** 2))
        if not ssr > 0:
            return None, "ADF regression fits exactly: no residual to test"
        aic = n * (np.log(2.0 * np.pi) + np.log(ssr / n) + 1.0) + 2.0 * k
        if aic < best_aic:  # ties keep the smaller order, as statsmodels does
            best_aic, best_lag = aic, lag

    # Refit with the chosen order on all its rows; the level column last, so its t statistic
    # is (Q^T y)[-1] * sign(R[-1, -1]) / s.
    y, columns = _adf_design(x, diff, best_lag, level_last=True)
    diag, qty, ssr = _householder_qr(columns, y)
    if not _full_rank(diag, y.size):
        return None, "ADF regressors are collinear"
    dof = y.size - columns.shape[0]
    if dof <= 0 or not ssr > 0:
        return None, "ADF regression fits exactly: no residual to test"
    t_stat = float(qty[-1] * np.sign(diag[-1]) / np.sqrt(ssr / dof))
    if not np.isfinite(t_stat):
        return None, "ADF statistic is not finite"
    from lcfeat.features.mackinnon import mackinnonp

    return float(mackinnonp(t_stat, regression="c", N=1)), ""


def _adf_design(
    x: np.ndarray, diff: np.ndarray, lag: int, level_last: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Response diff[t] and the regressors (one per row) for t = lag .. len(diff) - 1."""
    n = diff.size - lag
    lagged = np.lib.stride_tricks.sliding_window_view(diff, lag + 1)[:, ::-1]  # diff[t-i]
    level = x[lag : lag + n]
    const = np.ones(n)
    columns = [lagged[:, i] for i in range(1, lag + 1)]
    columns = [const, *columns, level] if level_last else [const, level, *columns]
    return lagged[:, 0].copy(), np.vstack(columns)


@numba.njit(cache=True, nogil=True)
def _householder_qr(columns: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Householder QR of the design whose columns are the rows of `columns`, applied to `y`.

    Returns the diagonal of R, the first k entries of Q^T y, and the residual sum of squares
    (the squared norm of the rest). Both arguments are overwritten. Written out here rather
    than calling LAPACK: a multithreaded BLAS wakes its threads for this small matrix and,
    on a busy machine, waits for them far longer than the arithmetic takes.
    """
    k, n = columns.shape
    diag = np.zeros(k)
    for j in range(k):
        col = columns[j]
        norm2 = 0.0
        for i in range(j, n):
            norm2 += col[i] * col[i]
        if norm2 == 0.0:
            continue  # diag[j] = 0: reported as rank deficient
        norm = np.sqrt(norm2)
        alpha = -norm if col[j] > 0 else norm
        v0 = col[j] - alpha
        vnorm2 = norm2 - col[j] * col[j] + v0 * v0
        col[j] = v0  # col[j:] now holds the Householder vector v = x - alpha e1
        diag[j] = alpha
        if vnorm2 == 0.0:
            continue
        for c in range(j + 1, k):
            other = columns[c]
            dot = 0.0
            for i in range(j, n):
                dot += col[i] * other[i]
            factor = 2.0 * dot / vnorm2
            for i in range(j, n):
                other[i] -= factor * col[i]
        dot = 0.0
        for i in range(j, n):
            dot += col[i] * y[i]
        factor = 2.0 * dot / vnorm2
        for i in range(j, n):
            y[i] -= factor * col[i]
    ssr = 0.0
    for i in range(k, n):
        ssr += y[i] * y[i]
    return diag, y[:k].copy(), ssr


def _full_rank(diag: np.ndarray, n_rows: int) -> bool:
    magnitude = np.abs(diag)
    return bool(magnitude.size and magnitude.min() > magnitude.max() * n_rows * _RESOLUTION)


# --- the domain -----------------------------------------------------------------------------


def temporal_features(
    time: np.ndarray, flux: np.ndarray, bounds: np.ndarray, stitched_time: np.ndarray
) -> DomainResult:
    result = DomainResult({})
    n = flux.size
    result.set("temp_n_points", float(n))
    if stitched_time.size:
        result.set("temp_duration_days", float(stitched_time[-1] - stitched_time[0]))
    else:
        result.set_null(("temp_duration_days",), "no cadence")
    if n < 2:
        return result.set_null(
            ("temp_cadence_median", "temp_cadence_std", *AUTOCORR_LAGS_D,
             "temp_memory_coefficient", "temp_trend_strength", "temp_stationarity_pvalue"),
            f"{n} cadence after cleaning: no time step, lag or trend",
        )

    steps = np.diff(time)
    cadence = median(steps)
    result.set("temp_cadence_median", cadence)
    in_segment = steps[steps <= SEGMENT_GAP_DAYS]
    if in_segment.size:
        result.set("temp_cadence_std", float(np.std(in_segment)))
    else:
        result.set_null(("temp_cadence_std",), "no two consecutive cadences within a segment")

    if cadence > 0:
        lags = autocorr_lags(cadence)
        slots = cadence_slots(time, bounds, cadence, max(lags.values()) + 1)
        demeaned = segment_demeaned(flux, bounds)
        for name, lag in lags.items():
            result.set(name, *lag_autocorrelation(demeaned, slots, lag))
    else:
        result.set_null(AUTOCORR_LAGS_D, "median time step is not positive: no cadence grid")

    result.set("temp_memory_coefficient",
               *hurst_exponent(within_segment_increments(flux, bounds),
                               cadences_in(HURST_MIN_WINDOW_D, cadence, HURST_MIN_WINDOW)
                               if cadence > 0 else HURST_MIN_WINDOW))
    result.set("temp_trend_strength", *trend_r_squared(time, flux))
    result.set("temp_stationarity_pvalue", *adf_pvalue(bin_flux(time, flux, ADF_BIN_DAYS)))
    return result


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in the policy
        time, flux = finite_cadences(prepared.time, prepared.flux)
        bounds = prepared.segments if time is prepared.time else segment_bounds(time)
        stitched = prepared.lc.time
        stitched = stitched[np.isfinite(stitched)]
        return temporal_features(time, flux, bounds, stitched)


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute)
