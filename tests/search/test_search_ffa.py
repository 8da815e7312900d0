"""The fast-folding BLS periodogram against direct folding, and its FFA tree against sums."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from lcfeat.search.ffa import (
    EVEN_MIN_CYCLES,
    PAIR_MIN_BIN_CADENCES,
    _ffa_tree,
    _fold_chunks,
    _pairs,
    baseline_cadences,
    even_groups,
    ffa_periodogram,
    ffa_periodogram_reference,
)
from lcfeat.search.grid import plan_ffa


def tree_shift(d: int, s: int, n: int) -> int:
    """Shift of row s in the FFA sum of drift d over n rows, by the textbook recursion."""
    if n == 1:
        return 0
    half = n // 2
    if s < half:
        return tree_shift(d // 2, s, half)
    return (d + 1) // 2 + tree_shift(d // 2, s - half, half)


@pytest.mark.parametrize(("log2_rows", "n_bins"), [(1, 3), (3, 5), (4, 7), (5, 4)])
def test_tree_is_the_sum_of_rolled_rows(log2_rows, n_bins):
    n_rows = 1 << log2_rows
    rng = np.random.default_rng(log2_rows)
    rows = rng.integers(-50, 50, size=(n_rows, n_bins, 2)).astype(np.float32)
    result = _ffa_tree(rows.reshape(-1).copy(), np.empty(rows.size, np.float32), log2_rows,
                       n_bins).reshape(n_rows, n_bins, 2)
    for d in range(n_rows):
        expected = sum(
            np.roll(rows[s], tree_shift(d, s, n_rows) % n_bins, axis=0) for s in range(n_rows)
        )
        # Small integers are exact in float32: the tree must equal the explicit sum exactly.
        assert np.array_equal(result[d], expected)


@pytest.mark.parametrize("n", [4, 16, 64, 256])
def test_tree_shifts_follow_a_straight_drift(n):
    # Row s of drift d is shifted by d s / (n - 1) rounded level by level: the error grows
    # like log2(n) / 6 bins at worst (the textbook FFA bound) and is a third of a bin on
    # average.
    d, s = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    error = np.vectorize(tree_shift)(d, s, n) - d * s / (n - 1)
    assert np.max(np.abs(error)) <= np.log2(n) / 6 + 1e-9
    assert np.mean(np.abs(error)) <= 0.34


@cache
def synthetic(period: float = 2.313, depth: float = 1.2e-3) -> tuple[np.ndarray, np.ndarray]:
    """60 days of Kepler-like sampling (10% of cadences missing), white noise 1e-3, box
    transits of 2.4 h."""
    rng = np.random.default_rng(11)
    t = np.arange(0.0, 60.0, 0.020434)
    t = t[rng.random(t.size) < 0.9]
    y = 1e-3 * rng.normal(size=t.size)
    y[np.abs((t - 1.21 + period / 2) % period - period / 2) < 0.05] -= depth
    return t, y


def test_ffa_matches_direct_folding():
    t, y = synthetic()
    plan = plan_ffa(t[0], t[-1] - t[0], t.size, period_min=1.8, period_max=3.0)
    fast = ffa_periodogram(t, y, plan)
    slow = ffa_periodogram_reference(t, y, plan)
    assert np.array_equal(fast.frequency, slow.frequency)
    k_fast, k_slow = int(np.argmax(fast.power)), int(np.argmax(slow.power))
    # The tree rounds each chunk's shift to a bin and a chunk drifts by up to one bin: the
    # peak stays on the same trial (+-1) and keeps at least 80% of the exact fold's power.
    assert abs(k_fast - k_slow) <= 1
    assert fast.period[k_fast] == pytest.approx(2.313, rel=2e-3)
    assert fast.power[k_fast] >= 0.8 * slow.power[k_slow]
    assert fast.depth[k_fast] == pytest.approx(1.2e-3, rel=0.35)
    # Over all trials (mostly noise) the two agree statistically.
    ratio = fast.power / slow.power
    assert 0.9 < np.median(ratio) < 1.1


def test_parallel_is_bit_identical_and_runs_repeat():
    t, y = synthetic()
    plan = plan_ffa(t[0], t[-1] - t[0], t.size, period_min=0.5, period_max=10.0)
    serial = ffa_periodogram(t, y, plan)
    again = ffa_periodogram(t, y, plan)
    parallel = ffa_periodogram(t, y, plan, parallel=True)
    for field in ("power", "depth", "width_bins", "start_bin", "n_in"):
        assert np.array_equal(getattr(serial, field), getattr(again, field))
        assert np.array_equal(getattr(serial, field), getattr(parallel, field))


def test_flat_light_curve_has_no_dip():
    t = np.arange(0.0, 30.0, 0.0204)
    plan = plan_ffa(t[0], t[-1] - t[0], t.size, period_min=1.0, period_max=3.0)
    result = ffa_periodogram(t, np.zeros_like(t), plan)
    assert np.all(result.power == 0.0)


def ranked_one_by_one(profile: np.ndarray, widths: np.ndarray, total_y: float,
                      total_n: float) -> tuple[float, int, int]:
    """The best dip box of one folded profile ((n_bins, 2): flux sum and count per bin), in
    numpy: every (start, width), ranked in single precision by (n_in mean - s_in)^2 /
    (n_in n_out^2), the first (start, then width) of highest rank; its power in double."""
    n_bins = profile.shape[0]
    wrapped = np.concatenate([profile, profile[: widths.max()]])
    cum = np.concatenate([np.zeros((1, 2)), np.cumsum(wrapped.astype(np.float64), axis=0)])
    cum = cum.astype(np.float32)
    mean_y, count = np.float32(total_y / total_n), np.float32(total_n)
    best, best_start, best_width = np.float32(0.0), 0, int(widths[0])
    for start in range(n_bins):
        for width in widths:
            n_in = cum[start + width, 1] - cum[start, 1]
            n_out = count - n_in
            numerator = max(n_in * mean_y - (cum[start + width, 0] - cum[start, 0]),
                            np.float32(0.0))
            value = numerator * numerator / (n_in * n_out * n_out + np.float32(1e-30))
            if value > best:
                best, best_start, best_width = value, start, int(width)
    box = profile[(best_start + np.arange(best_width)) % n_bins].astype(np.float64)
    s_in, n_in = box[:, 0].sum(), box[:, 1].sum()
    n_out = total_n - n_in
    if best <= 0.0 or n_in < 0.5 or n_out < 0.5:
        return 0.0, best_start, best_width
    diff = (n_in * total_y - total_n * s_in) / (n_in * n_out)
    return 0.5 * n_in * diff * diff, best_start, best_width


def ranked_one_by_one_even(profile: np.ndarray, widths: np.ndarray,
                           n_slots: float) -> tuple[float, int, int]:
    """The same for an evenly sampled group (flux sums about the mean only, (n_bins,)): a
    box of width w holds w / n_bins of the baseline's n_slots cadences and ranks in single
    precision by max(-s, 0)^2 / (n (n_slots - n)^2)."""
    n_bins = profile.shape[0]
    wrapped = np.concatenate([profile, profile[: widths.max()]])
    cum = np.concatenate([[0.0], np.cumsum(wrapped.astype(np.float64))]).astype(np.float32)
    density = n_slots / n_bins
    best, best_start, best_width = np.float32(0.0), 0, int(widths[0])
    for start in range(n_bins):
        for width in widths:
            slots_in = width * density
            scale = np.float32(1.0 / (slots_in * (n_slots - slots_in) ** 2))
            deficit = max(cum[start] - cum[start + width], np.float32(0.0))
            value = deficit * deficit * scale
            if value > best:
                best, best_start, best_width = value, start, int(width)
    s_in = profile[(best_start + np.arange(best_width)) % n_bins].astype(np.float64).sum()
    if best <= 0.0 or s_in >= 0.0:
        return 0.0, best_start, best_width
    n_in = best_width * density
    n_out = n_slots - n_in
    diff = -s_in * n_slots / (n_in * n_out)
    return 0.5 * n_in * diff * diff, best_start, best_width


@pytest.mark.parametrize("days", [400.0, 9.7])
def test_boxes_ranked_many_trials_at_once_are_those_ranked_one_by_one(days):
    """The periodogram ranks the boxes of up to 64 trials at once, one per vector lane; every
    trial's best box (start, width, power) is the one a ranking of its own folded profile
    alone gives, to the bit: across a block's edge (400 days: 256 trials per group) and in
    groups of fewer rows than a vector (9.7 days)."""
    rng = np.random.default_rng(2)
    t = np.arange(0.0, days, 0.020434)
    t = t[rng.random(t.size) < 0.9]
    y = 1e-3 * rng.normal(size=t.size)
    y[np.abs((t - 1.21 + 1.15) % 2.3 - 1.15) < 0.05] -= 1e-3
    plan = plan_ffa(t[0], t[-1] - t[0], t.size, period_min=0.5, period_max=3.0)
    fast = ffa_periodogram(t, y, plan)
    centred = y - np.median(y)
    about_mean = centred - centred.mean()
    total_y, total_n = float(centred.sum()), float(t.size)
    even = even_groups(t, plan)
    sizes = []
    for g in range(0, plan.n_groups, max(1, plan.n_groups // 3)):
        n_bins, log2_rows = int(plan.n_bins[g]), int(plan.log2_rows[g])
        n_rows = 1 << log2_rows
        channels = 1 if even[g] else 2
        folded = np.zeros(n_rows * channels * n_bins, dtype=np.float32)
        _fold_chunks(t - plan.t_start, about_mean if even[g] else centred, plan.f0[g], n_bins,
                     n_rows, plan.baseline / n_rows, np.empty(t.size, dtype=np.int32), folded,
                     channels)
        profiles = _ffa_tree(folded, np.empty_like(folded), log2_rows, n_bins,
                             channels).reshape(n_rows, n_bins, channels)
        widths = plan.widths[plan.width_offset[g]:plan.width_offset[g + 1]]
        first, n_trials = int(plan.trial_offset[g]), int(plan.n_trials[g])
        sizes.append(n_trials)
        for d in sorted({*range(min(n_trials, 70)), n_trials - 2, n_trials - 1}):
            if even[g]:
                power, start, width = ranked_one_by_one_even(profiles[d, :, 0], widths,
                                                             baseline_cadences(t))
            else:
                power, start, width = ranked_one_by_one(profiles[d], widths, total_y, total_n)
            assert (fast.start_bin[first + d], fast.width_bins[first + d]) == (start, width)
            assert fast.power[first + d] == power
    assert max(sizes) > 64 if days > 100 else min(sizes) < 64
    # 400 days: every group is evenly sampled; 9.7 days: the shortest periods only.
    assert even.all() if days > 100 else 0 < even.sum() < even.size


def test_even_sampling_follows_the_counted_statistic():
    """On Kepler-like sampling (a tenth of the cadences missing, gaps of up to two days)
    counting a box's cadences as its share of the baseline moves the powers by little: the
    same highest peak, its power within a few percent of the counted one, and the powers of
    all trials (mostly noise) correlated. (Periods up to 4 days: phase bins under two
    cadences, none folded in pairs.)"""
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 200.0, 0.020434)
    keep = rng.random(t.size) < 0.93
    for start in rng.uniform(0.0, 195.0, 4):
        keep &= ~((t > start) & (t < start + rng.uniform(0.5, 2.0)))
    t = t[keep]
    y = 1e-3 * rng.normal(size=t.size)
    y[np.abs((t - 3.1 + 1.9) % 3.8 - 1.9) < 0.06] -= 6e-4
    plan = plan_ffa(t[0], t[-1] - t[0], t.size, period_min=1.0, period_max=4.0)
    assert even_groups(t, plan).all()
    assert np.all(1.0 / (plan.f0 * plan.n_bins) < PAIR_MIN_BIN_CADENCES * 0.020434)
    even = ffa_periodogram(t, y, plan)
    counted = ffa_periodogram(t, y, plan, counted=True)
    k_even, k_counted = int(np.argmax(even.power)), int(np.argmax(counted.power))
    assert abs(k_even - k_counted) <= 1
    assert even.period[k_even] == pytest.approx(3.8, rel=2e-3)
    assert even.power[k_even] == pytest.approx(counted.power[k_counted], rel=0.1)
    assert np.corrcoef(even.power, counted.power)[0, 1] > 0.98
    # The exact fold of the same statistic agrees with the fast one as the counted ones do.
    slow = ffa_periodogram_reference(t, y, plan)
    assert abs(int(np.argmax(slow.power)) - k_even) <= 1


def test_even_groups_need_a_filled_baseline_and_many_cycles():
    rng = np.random.default_rng(3)
    kepler = np.arange(0.0, 1400.0, 0.020434)
    kepler = kepler[rng.random(kepler.size) < 0.9]
    plan = plan_ffa(kepler[0], kepler[-1] - kepler[0], kepler.size)
    assert even_groups(kepler, plan).all()
    # Two TESS-like sectors two years apart: a few percent of the baseline.
    sectors = np.concatenate([np.arange(0.0, 27.0, 0.00694), np.arange(730.0, 757.0, 0.00694)])
    plan = plan_ffa(sectors[0], sectors[-1] - sectors[0], sectors.size, period_max=20.0)
    assert not even_groups(sectors, plan).any()
    # One continuous sector: periods it covers ten times or more.
    sector = sectors[sectors < 27.0]
    plan = plan_ffa(sector[0], sector[-1] - sector[0], sector.size)
    even = even_groups(sector, plan)
    assert np.array_equal(even, plan.baseline * plan.f0 >= EVEN_MIN_CYCLES)
    assert 0 < even.sum() < even.size


def test_pairs_join_cadences_one_cadence_apart():
    cadence = 0.020434
    x = np.concatenate([np.arange(7) * cadence, 1.0 + np.arange(4) * cadence, [3.0]])
    y = np.arange(x.size, dtype=np.float64)
    x_pairs, y_pairs = _pairs(x, y, cadence)
    # 7 cadences: three pairs and one alone; after the gap two pairs; the last alone.
    expected = [(0, 1), (2, 3), (4, 5), (6,), (7, 8), (9, 10), (11,)]
    np.testing.assert_allclose(x_pairs, [x[list(p)].mean() for p in expected], rtol=1e-15)
    np.testing.assert_array_equal(y_pairs, [y[list(p)].sum() for p in expected])


@pytest.mark.parametrize(("period_min", "period_max", "period"),
                         [(36.0, 55.0, 40.7), (36.0, 55.0, 51.2)])
def test_periods_folded_in_pairs_find_the_transit_of_the_exact_fold(period_min, period_max,
                                                                     period):
    """Periods of 36-55 days over 600 days of Kepler-like sampling: phase bins of four
    cadences and more, folded in pairs; the peak stays on the trial of the exact fold (+-1)
    and keeps most of its power."""
    rng = np.random.default_rng(8)
    t = np.arange(0.0, 600.0, 0.020434)
    t = t[rng.random(t.size) < 0.92]
    y = 1e-3 * rng.normal(size=t.size)
    y[np.abs((t - 13.0 + period / 2) % period - period / 2) < 0.13] -= 1.5e-3
    plan = plan_ffa(t[0], t[-1] - t[0], t.size, period_min=period_min, period_max=period_max)
    bin_cadences = 1.0 / (plan.f0 * plan.n_bins * 0.020434)
    assert np.all(bin_cadences >= PAIR_MIN_BIN_CADENCES) and even_groups(t, plan).all()
    fast = ffa_periodogram(t, y, plan)
    slow = ffa_periodogram_reference(t, y, plan)
    k_fast, k_slow = int(np.argmax(fast.power)), int(np.argmax(slow.power))
    assert abs(k_fast - k_slow) <= 1
    assert fast.period[k_fast] == pytest.approx(period, rel=2e-3)
    assert fast.power[k_fast] >= 0.8 * slow.power[k_slow]
    assert 0.9 < np.median(fast.power / slow.power) < 1.1
