"""The series tools shared by the features and the search, against their scipy references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats
from scipy.ndimage import median_filter

from lcfeat.lightcurve.robust import median, robust_sigma, running_median, true_runs


@pytest.mark.parametrize(("n", "size"), [(1, 9), (5, 9), (1000, 9), (4000, 13)])
def test_running_median_is_scipys_median_filter(n, size):
    x = np.random.default_rng(n).standard_normal(n)
    x[::7] = 5.0  # ties and outliers
    assert np.array_equal(running_median(x, size), median_filter(x, size=size, mode="nearest"))


def test_robust_sigma_is_scipys_normal_scaled_mad():
    x = np.random.default_rng(2).standard_normal(5001)
    assert robust_sigma(x) == pytest.approx(
        stats.median_abs_deviation(x, scale="normal"), rel=1e-12)
    assert robust_sigma(x, 0.5) == pytest.approx(
        stats.median_abs_deviation(x, center=lambda _, axis: 0.5, scale="normal"), rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_true_runs_are_the_blocks_itertools_groups(seed):
    mask = np.random.default_rng(seed).random(200) < 0.4
    mask[0] = bool(seed % 2)
    expected, position = [], 0
    for value, group in itertools.groupby(mask):
        length = len(list(group))
        if value:
            expected.append((position, position + length))
        position += length
    starts, ends = true_runs(mask)
    assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == expected
    assert true_runs(np.zeros(5, dtype=bool))[0].size == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 64843])
def test_median_is_numpys_bit_for_bit(dtype, n):
    """Every later stage compares against numbers numpy's median gave: even and odd sizes,
    ties, single and double precision, integers."""
    rng = np.random.default_rng(n)
    for values in (rng.normal(1.0, 1e-4, n), np.round(rng.normal(0.0, 1.0, n), 1)):
        x = values.astype(dtype) if dtype is not np.int64 else np.round(values * 10).astype(dtype)
        before = x.copy()
        assert median(x) == np.median(x)
        assert np.array_equal(x, before)  # the caller's array is not reordered


def test_median_is_nan_when_a_value_is_nan_as_numpys():
    x = np.arange(10.0)
    for position in (0, 4, 9):
        y = x.copy()
        y[position] = np.nan
        assert np.isnan(np.median(y)) and np.isnan(median(y))
    assert np.isnan(median(np.array([])))
