"""The series tools shared by the features and the search, against their scipy references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.ndimage import median_filter

from lcfeat.lightcurve.robust import robust_sigma, running_median


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
