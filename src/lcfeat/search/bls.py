"""Box least squares on an explicit list of periods: the compiled kernel and its reference.

`bls_binned` is astropy's `BoxLeastSquares(method="fast")` algorithm (`bls.c`) compiled with
numba: per period, the phase-folded light curve is binned at `min(durations) / oversample`,
cumulative sums give every box of every duration in O(n_bins), so a period costs
O(N + n_bins x n_durations). Same inputs, same arithmetic order, hence the same answer.

`bls_slow` is the brute-force reference with the same signature: for every period, duration
and bin-aligned box start it selects the in-transit cadences with a boolean mask and sums them
directly. It is slow (O(N x n_bins x n_durations) per period) and exists only to hold the
compiled kernel to account in the tests, as astropy keeps `bls_slow` beside `bls_fast`.

Both take `t` relative to its minimum (as astropy's `BoxLeastSquares.power` passes it), `y`
(astropy subtracts the median first), the inverse variance `ivar`, and return
(power, depth, depth_err, duration, transit_time, depth_snr, log_likelihood) per period, where
`transit_time` is the mid-transit time modulo the period, like astropy's `bls_fast`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Below this in-box (or out-of-box) inverse variance a box is skipped, as in astropy.
_DBL_EPSILON = float(np.finfo(np.float64).eps)

BlsArrays = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]


def _check(
    t: np.ndarray, periods: np.ndarray, durations: np.ndarray, oversample: int
) -> None:
    if t.size == 0:
        raise ValueError("bls: no data points")
    if periods.size == 0 or durations.size == 0:
        raise ValueError("bls: empty period or duration list")
    if not (np.all(periods > 0) and np.all(durations > 0)):
        raise ValueError("bls: periods and durations must be positive")
    if durations.max() > periods.min():
        raise ValueError("bls: the longest duration exceeds the shortest period")
    if oversample < 1:
        raise ValueError("bls: oversample must be >= 1")


@njit(cache=True, nogil=True)
def _bls_binned_kernel(t, y, ivar, periods, durations, oversample, use_likelihood):
    n_points = t.size
    n_periods = periods.size
    min_duration = durations.min()
    bin_duration = min_duration / oversample
    max_n_bins = int(np.ceil(periods.max() / bin_duration)) + oversample
    sum_y_bins = np.empty(max_n_bins + 1)
    sum_ivar_bins = np.empty(max_n_bins + 1)

    min_t = np.inf
    sum_y = 0.0
    sum_ivar = 0.0
    weighted_y = np.empty(n_points)
    for i in range(n_points):
        min_t = min(min_t, t[i])
        weighted_y[i] = y[i] * ivar[i]
        sum_y += weighted_y[i]
        sum_ivar += ivar[i]

    # Bin indices in 32-bit integers, in a loop of their own: processors without AVX-512
    # convert doubles to 64-bit integers one at a time, to 32-bit ones a vector at a time.
    index = np.empty(n_points, dtype=np.int32)
    one = np.int32(1)

    power = np.full(n_periods, -np.inf)
    depth = np.full(n_periods, np.nan)
    depth_err = np.full(n_periods, np.nan)
    duration = np.full(n_periods, np.nan)
    transit_time = np.full(n_periods, np.nan)
    depth_snr = np.full(n_periods, np.nan)
    log_like = np.full(n_periods, np.nan)

    for p in range(n_periods):
        period = periods[p]
        n_bins = int(np.ceil(period / bin_duration)) + oversample
        sum_y_bins[: n_bins + 1] = 0.0
        sum_ivar_bins[: n_bins + 1] = 0.0
        for i in range(n_points):
            x = t[i] - min_t
            index[i] = np.int32((x - period * np.floor(x / period)) / bin_duration) + one
        for i in range(n_points):
            k = np.uint64(index[i])
            sum_y_bins[k] += weighted_y[i]
            sum_ivar_bins[k] += ivar[i]
        # Copy the first `oversample` bins to the end so boxes can wrap past phase 1.
        end = n_bins - oversample
        for n in range(1, oversample + 1):
            sum_y_bins[end] = sum_y_bins[n]
            sum_ivar_bins[end] = sum_ivar_bins[n]
            end += 1
        for n in range(1, n_bins + 1):
            sum_y_bins[n] += sum_y_bins[n - 1]
            sum_ivar_bins[n] += sum_ivar_bins[n - 1]

        for k in range(durations.size):
            width = int(np.round(durations[k] / bin_duration))
            for n in range(n_bins - width + 1):
                y_in = sum_y_bins[n + width] - sum_y_bins[n]
                ivar_in = sum_ivar_bins[n + width] - sum_ivar_bins[n]
                y_out = sum_y - y_in
                ivar_out = sum_ivar - ivar_in
                if ivar_in < _DBL_EPSILON or ivar_out < _DBL_EPSILON:
                    continue
                y_in /= ivar_in
                y_out /= ivar_out
                diff = y_out - y_in
                if use_likelihood:
                    objective = 0.5 * ivar_in * diff * diff
                else:
                    objective = diff / np.sqrt(1.0 / ivar_in + 1.0 / ivar_out)
                if y_out >= y_in and objective > power[p]:
                    power[p] = objective
                    depth[p] = diff
                    depth_err[p] = np.sqrt(1.0 / ivar_in + 1.0 / ivar_out)
                    depth_snr[p] = diff / depth_err[p]
                    log_like[p] = 0.5 * ivar_in * diff * diff
                    duration[p] = width * bin_duration
                    transit_time[p] = np.fmod(
                        n * bin_duration + 0.5 * duration[p] + min_t, period
                    )
    return power, depth, depth_err, duration, transit_time, depth_snr, log_like


def bls_binned(
    t: np.ndarray,
    y: np.ndarray,
    ivar: np.ndarray,
    periods: np.ndarray,
    durations: np.ndarray,
    oversample: int = 10,
    use_likelihood: bool = True,
) -> BlsArrays:
    """Compiled phase-binned BLS over `periods` x `durations` (astropy's fast algorithm).

    Cost O(N + n_bins x n_durations) per period, n_bins = period / (min duration / oversample).
    Thread-safe: every buffer is local to the call (no global state), and it releases the GIL.
    """
    t, y, ivar, periods, durations = (
        np.ascontiguousarray(a, dtype=np.float64) for a in (t, y, ivar, periods, durations)
    )
    _check(t, periods, durations, oversample)
    return _bls_binned_kernel(t, y, ivar, periods, durations, int(oversample), bool(use_likelihood))


def bls_slow(
    t: np.ndarray,
    y: np.ndarray,
    ivar: np.ndarray,
    periods: np.ndarray,
    durations: np.ndarray,
    oversample: int = 10,
    use_likelihood: bool = True,
) -> BlsArrays:
    """Brute-force reference of `bls_binned` (same signature, same definition, no tricks).

    Each cadence gets its phase bin; each box (start bin, width) selects its cadences by an
    explicit mask, wrapping past the end of the period like the compiled kernel, and the
    in/out-of-box weighted means are summed from scratch. Use on small inputs only.
    """
    t, y, ivar, periods, durations = (
        np.asarray(a, dtype=np.float64) for a in (t, y, ivar, periods, durations)
    )
    _check(t, periods, durations, oversample)
    bin_duration = durations.min() / oversample
    x = t - t.min()
    out = np.full((7, periods.size), np.nan)
    out[0] = -np.inf
    for p, period in enumerate(periods):
        n_bins = int(np.ceil(period / bin_duration)) + oversample
        bins = ((x - period * np.floor(x / period)) / bin_duration).astype(np.int64) + 1
        # The kernel's box over cumulative bins [n, n + width) covers slots n+1 .. n+width of
        # an array of n_bins + 1 slots: slots 1 .. n_bins-oversample-1 are the phase bins,
        # the next `oversample` slots repeat bins 1 .. oversample (overwriting the last,
        # partial bin, as astropy does), and slot n_bins stays empty (mapped to an unused id).
        extended_of = np.arange(n_bins + 1)
        wrapped = (extended_of >= n_bins - oversample) & (extended_of < n_bins)
        extended_of[wrapped] = extended_of[wrapped] - (n_bins - oversample) + 1
        extended_of[n_bins] = n_bins + 1
        for dur in durations:
            width = int(np.round(dur / bin_duration))
            for n in range(n_bins - width + 1):
                members = np.zeros(n_bins + 2, dtype=bool)
                covered = extended_of[n + 1 : n + width + 1]
                members[covered] = True
                in_box = members[bins]
                ivar_in = ivar[in_box].sum()
                ivar_out = ivar[~in_box].sum()
                if ivar_in < _DBL_EPSILON or ivar_out < _DBL_EPSILON:
                    continue
                y_in = (y[in_box] * ivar[in_box]).sum() / ivar_in
                y_out = (y[~in_box] * ivar[~in_box]).sum() / ivar_out
                diff = y_out - y_in
                err = np.sqrt(1.0 / ivar_in + 1.0 / ivar_out)
                objective = 0.5 * ivar_in * diff**2 if use_likelihood else diff / err
                if y_out >= y_in and objective > out[0, p]:
                    dur_q = width * bin_duration
                    out[:, p] = (
                        objective,
                        diff,
                        err,
                        dur_q,
                        np.fmod(n * bin_duration + 0.5 * dur_q + t.min(), period),
                        diff / err,
                        0.5 * ivar_in * diff**2,
                    )
    return tuple(out)  # type: ignore[return-value]
