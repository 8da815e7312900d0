"""Box least squares over the whole period grid by fast folding (FFA), compiled with numba.

Folding 65,000 cadences at each of ~180,000 trial periods costs 10^10 operations: far too
slow. The fast folding algorithm (Staelin 1969) shares the work between neighbouring periods.
For one group of the plan (`grid.plan_ffa`):

1. the light curve is cut into S = 2**k equal time chunks and each chunk is folded at the
   group's base frequency f0 into m phase bins (sum of flux and count per bin): O(N);
2. at a trial frequency f0 + d x step the phase of chunk s moves by d x s / (S - 1) bins
   (one bin over the baseline per step), so the folded profile is the sum of the chunks
   rolled by those shifts. The FFA tree builds the S profiles of d = 0 .. S-1 in
   log2(S) passes of S x m additions, rounding each shift to a whole bin;
3. every profile is searched for the best box of each trial width (cumulative sums, boxes
   wrap around phase 1): O(m x n_widths) per trial, up to 64 trials at a time, one per
   vector lane (`_best_boxes`: a profile of a few dozen bins is too short a loop to
   vectorise).

Unlike the textbook FFA, rows are time chunks folded by their true phase, not consecutive
blocks of m samples: a period many times shorter than the baseline (3,000 cycles of 0.5 d in
four years) would otherwise slip whole periods between rows. Within a chunk a trial drifts by
at most one bin (half a bin either side of the chunk's shift), and the tree's level-by-level
rounding of the shifts is off by a third of a bin on average, log2(S)/6 bins at worst (2 for
S = 4096): a cadence typically lands within about half a bin (a sixth of the Sun-like
duration) of its exact phase bin. The tests measure what that costs against
`ffa_periodogram_reference`, which folds every trial exactly.

The statistic is astropy's "likelihood" objective with equal weights: for a box holding n of
the N cadences with flux sum s (flux minus its median, total SY), y_in = s / n,
y_out = (SY - s) / (N - n), power = 0.5 n (y_out - y_in)^2 / sigma^2, dips only.

Evenly sampled groups (`even_groups`: a light curve that fills at least EVEN_MIN_DUTY of its
baseline with cadences, at periods it covers EVEN_MIN_CYCLES times or more, such as every
group of a multi-quarter Kepler light curve) count a box's cadences without folding them:
its share of the baseline, n = width / n_bins x N_s, N_s the baseline in cadences (the
cadences Kepler would have delivered without gaps). With the flux centred on its mean this is
the same statistic on the light curve with its gaps filled at its mean level: s = sum of flux
minus its mean in the box, power = 0.5 s^2 N_s^2 / (n (N_s - n)^2), dips only. Its powers
follow the counted ones closely (a correlation of 0.997 over the trials of stars of the
population bench, the same highest peak), because many cycles of a light curve with short
gaps cover every phase about equally; a gap in the box lowers its power by its share of the
box, as it lowers every box's about as much. Only the flux is folded and summed: a third
less work in the fold, the tree and the ranking. Other groups (a light curve of a few
cycles, or one with long gaps such as TESS sectors years apart) count their cadences. An
evenly sampled group whose phase bin spans PAIR_MIN_BIN_CADENCES cadences or more (periods
beyond about a month for Kepler) folds consecutive cadences in pairs, half the points, each
pair within an eighth of a bin of where its cadences fall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from lcfeat.lightcurve.robust import median, median_cadence
from lcfeat.search.grid import FfaPlan


@dataclass(frozen=True)
class Periodogram:
    """Best box at every trial frequency of a plan (power in units of 1 / sigma^2)."""

    frequency: np.ndarray
    power: np.ndarray
    depth: np.ndarray
    width_bins: np.ndarray
    start_bin: np.ndarray
    n_in: np.ndarray
    group: np.ndarray

    @property
    def period(self) -> np.ndarray:
        return 1.0 / self.frequency


#: A light curve is evenly sampled when its cadences fill at least this share of its
#: baseline (Kepler's quarters about 0.9; TESS sectors years apart a few percent) ...
EVEN_MIN_DUTY = 0.7
#: ... at the periods it covers at least this many times: then every phase of a fold holds
#: about the same share of its cadences.
EVEN_MIN_CYCLES = 10.0
#: An evenly sampled group whose phase bin spans at least this many cadences folds them in
#: pairs (`_pairs`): a pair lands within an eighth of a bin of its cadences' own bins (a
#: chunk's own drift moves them by up to half a bin). Pairs from two cadences on (periods
#: beyond 4.3 d for Kepler, a quarter of a bin) saved a tenth of the periodogram's time
#: more and found the same signals on the population bench, but 2 fewer of the 308
#: transits at SNR >= 10 injected into the bundled stars (bench/bench_injection.py).
PAIR_MIN_BIN_CADENCES = 4.0


# Hot loops index with unsigned integers: numba then skips its negative-index wraparound test,
# which otherwise stops LLVM from vectorising them; error_model="numpy" does the same for the
# division-by-zero test. Neither changes a result.
_KERNEL = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_KERNEL)
def _fold_chunks(x, y, f0, n_bins, n_rows, chunk, flat_index, out, channels=2):
    """Fold each time chunk at f0 (x = time - start) into `out`: row r holds the interleaved
    (flux sum, count) of its n_bins phase bins, or with `channels` 1 the flux sums alone.
    Phases are measured from the middle of the first chunk, so chunk s lies s chunks after
    the reference and its shift is s x drift. `flat_index` (32-bit integers) is scratch for
    the position of every cadence in `out`."""
    out[:] = 0.0
    offset = 0.5 * chunk * f0
    inv_chunk = 1.0 / chunk
    # In 32-bit integers: processors without AVX-512 convert doubles to 64-bit integers one
    # at a time, to 32-bit ones a vector at a time (the fold took a third less time). Every
    # index is below 2 x rows x bins (a few 10^5).
    bins = np.int32(n_bins)
    last_row = np.int32(n_rows - 1)
    last_col = np.int32(n_bins - 1)
    zero = np.int32(0)
    pair = np.int32(channels)
    for i in range(x.size):
        row = min(max(np.int32(x[i] * inv_chunk), zero), last_row)
        phase = x[i] * f0 - offset
        phase -= np.floor(phase)
        col = min(np.int32(phase * n_bins), last_col)
        flat_index[i] = pair * (row * bins + col)
    if channels == 1:
        for i in range(x.size):
            out[np.uint64(flat_index[i])] += y[i]
        return
    for i in range(x.size):
        k = np.uint64(flat_index[i])
        out[k] += y[i]
        out[k + np.uint64(1)] += 1.0


@njit(**_KERNEL)
def _ffa_tree(src, dst, log2_rows, n_bins, channels=2):
    """Textbook FFA over the rows of `src` (rows of `channels` x n_bins interleaved floats):
    row d of the result is the sum of all rows, row s rolled by the tree's rounding of
    d x s / (S-1).

    Returns the buffer holding the result (the two buffers alternate between passes).
    """
    n_rows = 1 << log2_rows
    width = channels * n_bins
    u_width = np.uint64(width)
    half = 1
    for _ in range(log2_rows):
        block = 2 * half
        for start in range(0, n_rows, block):
            for d in range(block):
                head = np.uint64((start + d // 2) * width)
                tail = np.uint64((start + half + d // 2) * width)
                out = np.uint64((start + d) * width)
                # out[j] = head[j] + tail[(j - shift) mod n_bins], on interleaved pairs.
                shift = np.uint64(channels * (((d + 1) // 2) % n_bins))
                wrapped = tail + u_width - shift
                for k in range(shift):
                    dst[out + k] = src[head + k] + src[wrapped + k]
                unwrapped = tail - shift  # tail >= one row > shift: no underflow
                for k in range(shift, u_width):
                    dst[out + k] = src[head + k] + src[unwrapped + k]
        src, dst = dst, src
        half = block
    return src


#: Trials whose boxes are ranked together, one per lane: up to four vectors of 16
#: single-precision floats (measured on 73 bins x 7 widths: 16 lanes 0.42 ns per box, 32
#: 0.30, 64 0.23, 128 0.23; one trial at a time, vectorised along phase: about 0.8); a group
#: of fewer rows (a short light curve) takes its row count rounded up to a vector.
_LANES = 64
_VECTOR = 16


@njit(**_KERNEL)
def _best_boxes(result, first_row, n_lanes, n_bins, widths, total_y, total_n, cum_y, cum_n,
                acc_y, acc_n, best_value, best_start, best_width):
    """Rank every box of `n_lanes` consecutive trials of a group at once (trial r's folded
    profile is row first_row + r of `result`), one trial per lane: cumulative sums along
    phase (in double, stored in single precision: the ranking's inputs; phase k of lane r at
    k x n_lanes + r), then, start by start and width by width, each lane keeps the first
    (start, width) of highest value, as one code (start x widths + width index: one blend
    and one store per box instead of two, a quarter of the whole periodogram's time on a
    machine with 8-float vectors), decoded into `best_start` and `best_width` at the end.
    The boxes, their order and their values are those of a trial-by-trial ranking; the
    lanes make the inner loop long enough to vectorise.

    y_out - y_in = N (n_in mean_y - s_in) / (n_in n_out) and the power is 0.5 n_in (y_out -
    y_in)^2, so boxes rank by (n_in mean_y - s_in)^2 / (n_in n_out^2) (dips only). Written
    without branches so that it vectorises: an empty box has numerator 0 and a box holding
    every cadence n_out = 0 and numerator 0; both give 0 over the tiny floor. Single
    precision only ranks boxes: the winner's power is recomputed in double (`_winner`).
    """
    lanes = np.uint64(n_lanes)
    w_max = widths[widths.size - 1]
    row = np.uint64(2 * n_bins)
    first = np.uint64(first_row)
    for r in range(lanes):
        acc_y[r] = 0.0
        acc_n[r] = 0.0
        cum_y[r] = 0.0
        cum_n[r] = 0.0
    for k in range(n_bins + w_max):
        j = np.uint64(k if k < n_bins else k - n_bins)
        out = np.uint64(k + 1) * lanes
        for r in range(lanes):
            base = (first + r) * row + np.uint64(2) * j
            acc_y[r] += result[base]
            acc_n[r] += result[base + np.uint64(1)]
            cum_y[out + r] = acc_y[r]
            cum_n[out + r] = acc_n[r]
    mean_y = np.float32(total_y / total_n)
    count = np.float32(total_n)
    tiny = np.float32(1e-30)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    n_widths = np.int32(widths.size)
    for r in range(lanes):
        best_value[r] = zero
        best_start[r] = 0  # the code of (start 0, the first width)
    for start in range(n_bins):
        j = np.uint64(start)
        first_code = np.int32(start) * n_widths
        low = j * lanes
        for w_index in range(widths.size):
            code = first_code + np.int32(w_index)
            high = (j + np.uint64(widths[w_index])) * lanes
            for r in range(lanes):
                n_in = cum_n[high + r] - cum_n[low + r]
                n_out = count - n_in
                numerator = n_in * mean_y - (cum_y[high + r] - cum_y[low + r])
                numerator = numerator if numerator > zero else zero
                value = numerator * numerator / (n_in * n_out * n_out + tiny)
                best = best_value[r]
                previous = best_start[r]
                better = value > best
                # Blends by arithmetic (exact: every value is finite), not conditional
                # expressions: numba turns those into branches, which LLVM vectorises into
                # masked stores, slow on processors without AVX-512 (with them the
                # periodogram took a third longer on an AVX2 one).
                chosen = np.float32(better)
                best_value[r] = value * chosen + best * (one - chosen)
                best_start[r] = previous + np.int32(better) * (code - previous)
    for r in range(lanes):
        code = best_start[r]
        best_start[r] = code // n_widths
        best_width[r] = widths[code % n_widths]


#: Box widths an evenly sampled group ranks in one pass over the lanes (`_best_boxes_even`).
_WIDTHS_PER_PASS = 4


#: Rows and phase bins of the tiles in which a block of folded profiles is turned lane-major
#: (`_lane_major`): every lane count is a multiple of it.
_TILE = 8


@njit(**_KERNEL)
def _lane_major(result, first_row, n_lanes, n_bins, out):
    """out[j x n_lanes + r] = result[(first_row + r) x n_bins + j]: the flux sums of `n_lanes`
    consecutive profiles (rows of `result`) phase bin by phase bin, copied in _TILE x _TILE
    tiles, so that both the rows read and the lanes written stay in a few cache lines (a
    fifth less time than reading each phase bin across the rows)."""
    lanes = np.uint64(n_lanes)
    row = np.uint64(n_bins)
    tile = np.uint64(_TILE)
    whole = np.uint64(n_bins // _TILE * _TILE)
    for r0 in range(np.uint64(0), lanes, tile):
        for j0 in range(np.uint64(0), whole, tile):
            for r in range(r0, r0 + tile):
                source = (np.uint64(first_row) + r) * row + j0
                for j in range(tile):
                    out[(j0 + j) * lanes + r] = result[source + j]
        for r in range(r0, r0 + tile):
            source = (np.uint64(first_row) + r) * row
            for j in range(whole, row):
                out[j * lanes + r] = result[source + j]


@njit(**_KERNEL)
def _best_boxes_even(result, first_row, n_lanes, n_bins, widths, scale, cum_y, acc_y,
                     lane_major, best_value, best_start, best_width):
    """`_best_boxes` of an evenly sampled group (flux sums only, centred on their mean): a
    box of width w ranks by deficit x scale[w] (deficit = -s; scale = 1 / (sqrt(n) (N_s -
    n)) of its share n of the baseline's cadences: the square root of its power's factor,
    the same for every trial), so a bump ranks below zero, under the first best of zero,
    with no clamp: dips only. `lane_major` is scratch for the block's profiles turned
    lane-major (`_lane_major`).
    With no counts to load and no division left, each lane keeps only its highest value and
    the first start that reaches it, _WIDTHS_PER_PASS widths at a time (the last width
    repeated to fill a pass), their values compared pairwise (a short dependency chain);
    the width is found at the end, the first at that start to reach the value (computed
    the same way, so equal to the bit): the choice of a box-by-box ranking, the first
    (start, then width) of highest value."""
    lanes = np.uint64(n_lanes)
    w_max = widths[widths.size - 1]
    _lane_major(result, first_row, n_lanes, n_bins, lane_major)
    for r in range(lanes):
        acc_y[r] = 0.0
        cum_y[r] = 0.0
    for k in range(n_bins + w_max):
        j = np.uint64(k if k < n_bins else k - n_bins)
        out = np.uint64(k + 1) * lanes
        for r in range(lanes):
            acc_y[r] += lane_major[j * lanes + r]
            cum_y[out + r] = acc_y[r]
    zero = np.float32(0.0)
    last = widths.size - 1
    for r in range(lanes):
        best_value[r] = zero
        best_start[r] = 0
    for start in range(n_bins):
        j = np.uint64(start)
        low = j * lanes
        code = np.int32(start)
        for w_first in range(0, widths.size, _WIDTHS_PER_PASS):
            high_0 = (j + np.uint64(widths[w_first])) * lanes
            high_1 = (j + np.uint64(widths[min(w_first + 1, last)])) * lanes
            high_2 = (j + np.uint64(widths[min(w_first + 2, last)])) * lanes
            high_3 = (j + np.uint64(widths[min(w_first + 3, last)])) * lanes
            scale_0 = scale[w_first]
            scale_1 = scale[min(w_first + 1, last)]
            scale_2 = scale[min(w_first + 2, last)]
            scale_3 = scale[min(w_first + 3, last)]
            for r in range(lanes):
                level = cum_y[low + r]
                value = max(max((level - cum_y[high_0 + r]) * scale_0,
                                (level - cum_y[high_1 + r]) * scale_1),
                            max((level - cum_y[high_2 + r]) * scale_2,
                                (level - cum_y[high_3 + r]) * scale_3))
                best = best_value[r]
                previous = best_start[r]
                # Blended by arithmetic, not a conditional expression: numba turns those into
                # branches, which LLVM vectorises into masked stores.
                best_start[r] = previous + np.int32(value > best) * (code - previous)
                best_value[r] = max(value, best)
    for r in range(lanes):
        start = best_start[r]
        low = np.uint64(start) * lanes + np.uint64(r)
        # The first width whose value equals the kept one; should the compiler ever round
        # the two computations apart, the first width of highest value at that start.
        highest = np.float32(-1.0)
        best_width[r] = widths[0]
        for w_index in range(widths.size):
            high = np.uint64(start + widths[w_index]) * lanes + np.uint64(r)
            # A bump counts as zero here, as in the ranking's first best: a trial with no dip
            # keeps its first width.
            value = max(cum_y[low] - cum_y[high], zero) * scale[w_index]
            if value == best_value[r]:
                best_width[r] = widths[w_index]
                break
            if value > highest:
                highest = value
                best_width[r] = widths[w_index]


@njit(**_KERNEL)
def _winner_even(profile, first, n_bins, start, width, density, n_slots, ranked):
    """(power, depth, n_in) of the box (start, width) of one folded profile of an evenly
    sampled group (flux sums centred on their mean; n_in its share of the baseline's
    `n_slots` cadences, `density` per bin), in double."""
    s_in = 0.0
    for k in range(start, start + width):
        j = k if k < n_bins else k - n_bins
        s_in += profile[first + j]
    n_in = width * density
    n_out = n_slots - n_in
    if s_in >= 0.0 or n_out < 0.5 or ranked <= 0.0:
        return 0.0, n_in, 0.0
    diff = -s_in * n_slots / (n_in * n_out)
    return 0.5 * n_in * diff * diff, n_in, diff


@njit(**_KERNEL)
def _winner(profile, first, n_bins, start, width, total_y, total_n, ranked):
    """(power, depth, n_in) of the box (start, width) of one folded profile, in double."""
    n_in = 0.0
    s_in = 0.0
    for k in range(start, start + width):
        j = k if k < n_bins else k - n_bins
        s_in += profile[first + 2 * j]
        n_in += profile[first + 2 * j + 1]
    n_out = total_n - n_in
    if n_in < 0.5 or n_out < 0.5 or ranked <= 0.0:
        return 0.0, n_in, 0.0
    diff = (n_in * total_y - total_n * s_in) / (n_in * n_out)
    return 0.5 * n_in * diff * diff, n_in, diff


@njit(**_KERNEL)
def _search_group(g, x, y, total_y, y_even, n_slots, even, x_pairs, y_pairs, paired, f0s,
                  n_bins_all, log2_all, offsets, widths_all, width_offsets, chunk, power, depth,
                  width_bins, start_bin, n_in):
    n_bins = n_bins_all[g]
    log2_rows = log2_all[g]
    n_rows = 1 << log2_rows
    widths = widths_all[width_offsets[g]:width_offsets[g + 1]]
    channels = 1 if even[g] else 2
    row_width = channels * n_bins
    lanes = min(_LANES, (n_rows + _VECTOR - 1) // _VECTOR * _VECTOR)
    # A block of lanes may run past the group's rows: those read zeros.
    padded_rows = (n_rows + lanes - 1) // lanes * lanes
    buf = np.empty(padded_rows * row_width, dtype=np.float32)
    tmp = np.empty(padded_rows * row_width, dtype=np.float32)
    tmp[n_rows * row_width:] = 0.0  # `buf` is zeroed whole by the fold
    flat_index = np.empty(x.size, dtype=np.int32)
    if paired[g]:
        _fold_chunks(x_pairs, y_pairs, f0s[g], n_bins, n_rows, chunk, flat_index, buf, 1)
    else:
        _fold_chunks(x, y_even if even[g] else y, f0s[g], n_bins, n_rows, chunk, flat_index,
                     buf, channels)
    result = _ffa_tree(buf, tmp, log2_rows, n_bins, channels)
    w_max = widths[widths.size - 1]
    cum_y = np.empty((n_bins + w_max + 1) * lanes, dtype=np.float32)
    acc_y = np.empty(lanes)
    lane_major = np.empty(n_bins * lanes if even[g] else 0, dtype=np.float32)
    # Counts are ranked only where they are folded.
    cum_n = np.empty(0 if even[g] else cum_y.size, dtype=np.float32)
    acc_n = np.empty(0 if even[g] else lanes)
    best_value = np.empty(lanes, dtype=np.float32)
    best_start = np.empty(lanes, dtype=np.int32)
    best_width = np.empty(lanes, dtype=np.int32)
    total_n = float(x.size)
    density = n_slots / n_bins
    scale = np.empty(widths.size, dtype=np.float32)
    for i in range(widths.size):
        slots_in = widths[i] * density
        slots_out = n_slots - slots_in
        scale[i] = 1.0 / (math.sqrt(slots_in) * slots_out) if slots_out >= 0.5 else 0.0
    first = offsets[g]
    n_trials = offsets[g + 1] - first
    for block in range(0, n_trials, lanes):
        if even[g]:
            _best_boxes_even(result, block, lanes, n_bins, widths, scale, cum_y, acc_y,
                             lane_major, best_value, best_start, best_width)
        else:
            _best_boxes(result, block, lanes, n_bins, widths, total_y, total_n, cum_y, cum_n,
                        acc_y, acc_n, best_value, best_start, best_width)
        for r in range(min(lanes, n_trials - block)):
            d = block + r
            start, width = int(best_start[r]), int(best_width[r])
            if even[g]:
                p, count, dep = _winner_even(result, d * row_width, n_bins, start, width,
                                             density, n_slots, best_value[r])
            else:
                p, count, dep = _winner(result, d * row_width, n_bins, start, width, total_y,
                                        total_n, best_value[r])
            power[first + d] = p
            start_bin[first + d] = start
            width_bins[first + d] = width
            n_in[first + d] = count
            depth[first + d] = dep


@njit(**_KERNEL)
def _search_serial(x, y, total_y, y_even, n_slots, even, x_pairs, y_pairs, paired, f0s, n_bins,
                   log2_rows, offsets, widths, width_offsets, chunks, power, depth, width_bins,
                   start_bin, n_in):
    for g in range(f0s.size):
        _search_group(g, x, y, total_y, y_even, n_slots, even, x_pairs, y_pairs, paired, f0s,
                      n_bins, log2_rows, offsets, widths, width_offsets, chunks[g], power, depth,
                      width_bins, start_bin, n_in)


@njit(cache=True, parallel=True, error_model="numpy")
def _search_parallel(x, y, total_y, y_even, n_slots, even, x_pairs, y_pairs, paired, f0s, n_bins,
                     log2_rows, offsets, widths, width_offsets, chunks, power, depth, width_bins,
                     start_bin, n_in):
    # Groups write disjoint slices of the outputs: no shared mutable state between threads.
    for g in prange(f0s.size):
        _search_group(g, x, y, total_y, y_even, n_slots, even, x_pairs, y_pairs, paired, f0s,
                      n_bins, log2_rows, offsets, widths, width_offsets, chunks[g], power, depth,
                      width_bins, start_bin, n_in)


def _inputs(t: np.ndarray, y: np.ndarray, plan: FfaPlan) -> tuple[np.ndarray, np.ndarray, float]:
    t = np.ascontiguousarray(t, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1 or t.size == 0:
        raise ValueError("ffa_periodogram: t and y must be equal-length, non-empty 1-d arrays")
    centred = y - median(y)
    return t, centred, float(centred.sum())


def baseline_cadences(t: np.ndarray, cadence: float | None = None) -> float:
    """The cadences a light curve sampled at `t` would hold without gaps: its baseline over
    its cadence (the median step, measured when not given), plus one; infinite when the
    median step is not positive (time stamps repeated: no cadence to count by)."""
    if cadence is None:
        cadence = median_cadence(t)
    if not (np.isfinite(cadence) and cadence > 0):
        return math.inf
    return float((t[-1] - t[0]) / cadence + 1.0)


def even_groups(t: np.ndarray, plan: FfaPlan, n_slots: float | None = None) -> np.ndarray:
    """True for the groups of `plan` whose boxes count their cadences as their share of the
    baseline (module doc): the cadences `t` fill at least EVEN_MIN_DUTY of the baseline (of
    `n_slots` cadences: `baseline_cadences`) and the group's longest period fits in it
    EVEN_MIN_CYCLES times or more."""
    if n_slots is None:
        n_slots = baseline_cadences(t)
    duty = t.size / n_slots if t.size > 1 else 0.0
    return (duty >= EVEN_MIN_DUTY) & (plan.baseline * plan.f0 >= EVEN_MIN_CYCLES)


@njit(**_KERNEL)
def _pairs(x, y, cadence):
    """The light curve with consecutive cadences one `cadence` apart taken in pairs (their
    mean time, their summed flux), a cadence without such a neighbour alone."""
    x_pairs = np.empty(x.size)
    y_pairs = np.empty(x.size)
    n = 0
    i = 0
    while i < x.size:
        if i + 1 < x.size and x[i + 1] - x[i] < 1.5 * cadence:
            x_pairs[n] = 0.5 * (x[i] + x[i + 1])
            y_pairs[n] = y[i] + y[i + 1]
            i += 2
        else:
            x_pairs[n] = x[i]
            y_pairs[n] = y[i]
            i += 1
        n += 1
    return x_pairs[:n].copy(), y_pairs[:n].copy()


def _chunk_lengths(plan: FfaPlan) -> np.ndarray:
    return plan.baseline / (1 << plan.log2_rows).astype(np.float64)


def ffa_periodogram(
    t: np.ndarray, y: np.ndarray, plan: FfaPlan, parallel: bool = False, counted: bool = False
) -> Periodogram:
    """Best dip box at every trial of `plan` (see module doc). Equal weights.

    `parallel=True` spreads the groups over numba's threads; leave it off when the pipeline
    already runs one process per core. The result is the same bit for bit either way.
    `counted=True` counts the cadences of every group, evenly sampled or not.
    """
    t, centred, total_y = _inputs(t, y, plan)
    cadence = median_cadence(t)
    n_slots = baseline_cadences(t, cadence)
    even = even_groups(t, plan, n_slots) & (not counted)
    paired = even & (1.0 / (plan.f0 * plan.n_bins) >= PAIR_MIN_BIN_CADENCES * cadence)
    chunks = _chunk_lengths(plan)
    n = plan.total_trials
    power = np.zeros(n)
    depth = np.zeros(n)
    width_bins = np.zeros(n, dtype=np.int64)
    start_bin = np.zeros(n, dtype=np.int64)
    n_in = np.zeros(n)
    runner = _search_parallel if parallel else _search_serial
    x = t - plan.t_start
    about_mean = centred - total_y / centred.size
    x_pairs, y_pairs = _pairs(x, about_mean, cadence) if paired.any() else (x[:0], x[:0])
    runner(x, centred, total_y, about_mean, n_slots, even, x_pairs, y_pairs, paired,
           plan.f0, plan.n_bins, plan.log2_rows, plan.trial_offset, plan.widths,
           plan.width_offset, chunks, power, depth, width_bins, start_bin, n_in)
    return Periodogram(
        frequency=plan.frequencies(),
        power=power,
        depth=depth,
        width_bins=width_bins,
        start_bin=start_bin,
        n_in=n_in,
        group=plan.group_of_trial(),
    )



def ffa_periodogram_reference(
    t: np.ndarray, y: np.ndarray, plan: FfaPlan, parallel: bool = False, counted: bool = False
) -> Periodogram:
    """What `ffa_periodogram` approximates, computed the slow way (same signature).

    Every trial frequency folds every cadence by its exact phase (from the same reference
    time: the middle of the group's first chunk) into the group's bins; every box of every
    width is summed directly, an evenly sampled group's (`even_groups`) with its share of
    the baseline's cadences as its count. No chunks, no shifts, no rounding: O(N) per trial
    in numpy. `parallel` is accepted for the shared signature and ignored.
    """
    del parallel
    t, centred, total_y = _inputs(t, y, plan)
    n_slots = baseline_cadences(t)
    even = even_groups(t, plan, n_slots) & (not counted)
    about_mean = centred - total_y / centred.size
    chunks = _chunk_lengths(plan)
    frequency = plan.frequencies()
    group = plan.group_of_trial()
    n = frequency.size
    power = np.zeros(n)
    depth = np.zeros(n)
    width_bins = np.zeros(n, dtype=np.int64)
    start_bin = np.zeros(n, dtype=np.int64)
    n_in = np.zeros(n)
    total_n = float(t.size)
    for k in range(n):
        g = group[k]
        n_bins = int(plan.n_bins[g])
        widths = plan.widths[plan.width_offset[g]:plan.width_offset[g + 1]]
        phase = (t - plan.t_start - 0.5 * chunks[g]) * frequency[k]
        phase -= np.floor(phase)
        bins = np.minimum((phase * n_bins).astype(np.int64), n_bins - 1)
        if even[g]:
            profile_y = np.bincount(bins, weights=about_mean, minlength=n_bins)
            for w in widths:
                count = w * n_slots / n_bins
                n_out = n_slots - count
                for j in range(n_bins):
                    s_in = profile_y[(j + np.arange(w)) % n_bins].sum()
                    if s_in >= 0.0 or n_out < 0.5:
                        continue
                    value = 0.5 * (s_in * n_slots) ** 2 / (count * n_out**2)
                    if value > power[k]:
                        power[k] = value
                        start_bin[k] = j
                        width_bins[k] = w
                        n_in[k] = count
                        depth[k] = -s_in * n_slots / (count * n_out)
            continue
        profile_y = np.bincount(bins, weights=centred, minlength=n_bins)
        profile_n = np.bincount(bins, minlength=n_bins).astype(np.float64)
        for w in widths:
            for j in range(n_bins):
                box = (j + np.arange(w)) % n_bins
                s_in = profile_y[box].sum()
                count = profile_n[box].sum()
                n_out = total_n - count
                if count < 0.5 or n_out < 0.5:
                    continue
                numerator = count * total_y - total_n * s_in
                if numerator <= 0.0:
                    continue
                value = 0.5 * numerator**2 / (count * n_out**2)
                if value > power[k]:
                    power[k] = value
                    start_bin[k] = j
                    width_bins[k] = w
                    n_in[k] = count
                    depth[k] = numerator / (count * n_out)
    return Periodogram(frequency, power, depth, width_bins, start_bin, n_in, group)
