"""Time-windowed Tukey biweight location, compiled: wotan's `flatten(method="biweight")`.

wotan (Hippke et al. 2019, AJ 158, 143) defines the trend lcfeat detrends with: at every
cadence, the biweight location (c = 5) of the flux within +- half a window in time, found by
iterative reweighting from the window's median with its median absolute deviation as scale,
until a step moves it by less than 1e-6 MAD. This module computes the same numbers
(tests/lightcurve/test_biweight.py holds it to `wotan.flatten`) without importing wotan,
whose `flatten` module loads all of scipy.signal (about a second of every process's start).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Tukey's biweight cut-off in MADs (wotan's default for the biweight).
BIWEIGHT_CVAL = 5.0
#: Convergence: a reweighting step moving the location by less than this many MADs
#: (wotan.constants.FTOL).
BIWEIGHT_FTOL = 1e-6
_MAX_STEPS = 1000
#: The reweighting sums run over the window's values padded with _PAD to a multiple of
#: _LANES: the compiled loop takes 32 doubles a turn (four 8-double vectors), and a window of
#: 88 cadences (45 hours) left 24 of them to its scalar tail. _PAD is so far from any flux
#: that its weight is zero, and the products formed for it before they are discarded (up to
#: _PAD^5 / (cval MAD)^4) stay finite for any MAD above 1e-40.
_LANES = 32
_PAD = 1e30


# fastmath lets the sums vectorise (as in wotan); it changes them by rounding only.
@njit(cache=True, nogil=True, fastmath=True)
def _reweighted(data: np.ndarray, centre: float, inverse_scale: float) -> float:
    """One biweight reweighting step: centre + sum(d w) / sum(w), w = (1 - u^2)^2, |u| < 1."""
    sum_dw = 0.0
    sum_w = 0.0
    for k in range(data.size):
        distance = data[k] - centre
        u = distance * inverse_scale
        if abs(u) >= 1.0:
            continue
        weight = (1.0 - u * u) ** 2
        sum_dw += distance * weight
        sum_w += weight
    return centre + sum_dw / sum_w


@njit(cache=True, nogil=True, fastmath=True)
def _biweight_location(data: np.ndarray, median: float, mad: float, cval: float,
                       ftol: float) -> float:
    """The biweight location of `data` from its median and MAD, iterated as wotan does: two
    plain steps, then an Aitken extrapolation while the approach is steady and monotone
    (it only shortens the way to the same fixed point)."""
    if mad == 0.0:
        return median
    inverse_scale = 1.0 / (cval * mad)
    tolerance = ftol * mad
    centre = median
    steps = 0
    while steps < _MAX_STEPS:
        first = _reweighted(data, centre, inverse_scale)
        steps += 1
        if abs(first - centre) <= tolerance or steps >= _MAX_STEPS:
            return first
        second = _reweighted(data, first, inverse_scale)
        steps += 1
        if abs(second - first) <= tolerance:
            return second
        step_1 = first - centre
        step_2 = second - first
        centre = second
        if step_1 != 0.0:
            rate = step_2 / step_1
            if 0.0 < rate < 0.9:
                centre = second + step_2 * rate / (1.0 - rate)
    return centre


@njit(cache=True, nogil=True)
def _lower_bound(buffer: np.ndarray, n: int, value: float) -> int:
    """np.searchsorted(buffer[:n], value) (the first position whose value is not below
    `value`), by a binary search whose steps are arithmetic, not branches: the windows'
    values arrive in random order, so a branch per step mispredicts half the time."""
    base = 0
    length = n
    while length > 1:
        half = length >> 1
        base += half * (buffer[base + half - 1] < value)
        length -= half
    if n > 0:
        base += buffer[base] < value
    return base


@njit(cache=True, nogil=True, fastmath=True)
def _insert_sorted(buffer: np.ndarray, n: int, value: float) -> int:
    position = _lower_bound(buffer, n, value)
    for k in range(n, position, -1):
        buffer[k] = buffer[k - 1]
    buffer[position] = value
    return n + 1


@njit(cache=True, nogil=True, fastmath=True)
def _remove_sorted(buffer: np.ndarray, n: int, value: float) -> int:
    position = _lower_bound(buffer, n, value)
    for k in range(position, n - 1):
        buffer[k] = buffer[k + 1]
    return n - 1


@njit(cache=True, nogil=True, fastmath=True)
def _replace_sorted(buffer: np.ndarray, n: int, old: float, new: float) -> None:
    """Replace one `old` by `new` in the sorted buffer[:n], moving only the values between."""
    k = _lower_bound(buffer, n, old)
    if new >= old:
        while k + 1 < n and buffer[k + 1] < new:
            buffer[k] = buffer[k + 1]
            k += 1
    else:
        while k > 0 and buffer[k - 1] > new:
            buffer[k] = buffer[k - 1]
            k -= 1
    buffer[k] = new


@njit(cache=True, nogil=True, fastmath=True)
def _median_and_mad(ordered: np.ndarray) -> tuple[float, float]:
    """Median and median absolute deviation of the ascending `ordered`, in O(log n).

    The deviations are two ascending runs from the median outward, A[i] = median -
    ordered[r - 1 - i] and B[j] = ordered[r + j] - median; their middle is the k-th smallest
    of the union, found by bisecting how many of the k come from A."""
    n = ordered.size
    middle = n // 2
    median = ordered[middle] if n % 2 else 0.5 * (ordered[middle - 1] + ordered[middle])
    r = _lower_bound(ordered, n, median)
    n_a = r
    n_b = n - r
    k = (n - 1) // 2 + 1
    low = max(0, k - n_b)
    high = min(k, n_a)
    kth = 0.0
    next_up = 0.0
    while low <= high:
        i = (low + high) // 2
        j = k - i
        a_last = median - ordered[r - i] if i > 0 else -np.inf  # A[i - 1]
        a_next = median - ordered[r - 1 - i] if i < n_a else np.inf  # A[i]
        b_last = ordered[r + j - 1] - median if j > 0 else -np.inf  # B[j - 1]
        b_next = ordered[r + j] - median if j < n_b else np.inf  # B[j]
        if a_last > b_next:
            high = i - 1
        elif b_last > a_next:
            low = i + 1
        else:
            kth = max(a_last, b_last)
            next_up = min(a_next, b_next)
            break
    return median, kth if n % 2 else 0.5 * (kth + next_up)


@njit(cache=True, nogil=True, fastmath=True)
def biweight_segment(time: np.ndarray, flux: np.ndarray, half_window: float,
                     cval: float = BIWEIGHT_CVAL, ftol: float = BIWEIGHT_FTOL,
                     stride: int = 1) -> np.ndarray:
    """Biweight location of `flux` over time[i] - half_window <= t < time[i] + half_window at
    every cadence of one continuous segment (`time` ascending, all values finite). The
    window's values are kept sorted as it slides (a leaving value is swapped for an entering
    one), so median and MAD cost no sort. With `stride` k > 1 the location is computed at
    every k-th cadence and the last, and linearly interpolated in time between."""
    size = time.size
    trend = np.empty(size)
    buffer = np.empty(size + _LANES)
    n = 0
    low = 0
    high = 0
    for i in range(size):
        new_high = high
        while new_high < size and time[new_high] < time[i] + half_window:
            new_high += 1
        new_low = low
        while time[new_low] < time[i] - half_window:
            new_low += 1
        # Cadences leaving ([low, new_low) <= i <= high) are all in the buffer already.
        while low < new_low and high < new_high:
            _replace_sorted(buffer, n, flux[low], flux[high])
            low += 1
            high += 1
        while high < new_high:
            n = _insert_sorted(buffer, n, flux[high])
            high += 1
        while low < new_low:
            n = _remove_sorted(buffer, n, flux[low])
            low += 1
        if i % stride != 0 and i != size - 1:
            continue
        median, mad = _median_and_mad(buffer[:n])
        padded = (n + _LANES - 1) // _LANES * _LANES
        buffer[n:padded] = _PAD  # (a shrinking window leaves its old values there)
        trend[i] = _biweight_location(buffer[:padded], median, mad, cval, ftol)
    if stride == 1:
        return trend
    for a in range(0, size - 1, stride):
        b = min(a + stride, size - 1)
        span = time[b] - time[a]
        slope = (trend[b] - trend[a]) / span if b > a + 1 and span > 0.0 else 0.0
        for i in range(a + 1, b):
            trend[i] = trend[a] + slope * (time[i] - time[a])
    return trend


@njit(cache=True, nogil=True)
def biweight_segments(time: np.ndarray, flux: np.ndarray, bounds: np.ndarray, half_window: float,
                      cval: float, ftol: float, stride: int = 1) -> np.ndarray:
    """`biweight_segment` of each segment time[bounds[s]:bounds[s + 1]] (every `stride`-th
    cadence of it), in one compiled call instead of one call from Python per segment (a
    Kepler light curve has about 60)."""
    trend = np.empty(time.size)
    for s in range(bounds.size - 1):
        a, b = bounds[s], bounds[s + 1]
        trend[a:b] = biweight_segment(time[a:b], flux[a:b], half_window, cval, ftol, stride)
    return trend
