"""The compiled biweight trend against wotan's `flatten(method="biweight")`, its definition."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from wotan import flatten

from lcfeat.lightcurve import read_light_curve
from lcfeat.lightcurve.biweight import (
    _PAD,
    BIWEIGHT_CVAL,
    BIWEIGHT_FTOL,
    _biweight_location,
    _lower_bound,
    _median_and_mad,
)
from lcfeat.lightcurve.robust import SEGMENT_GAP_DAYS, biweight_trend, segment_bounds
from tests.conftest import quarter_files


def wotan_trend(time: np.ndarray, flux: np.ndarray, window: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # wotan warns about the NaN cadences it keeps NaN
        _, trend = flatten(time, flux, method="biweight", window_length=window, edge_cutoff=0.0,
                           break_tolerance=SEGMENT_GAP_DAYS, return_trend=True)
    return trend


@pytest.fixture(scope="module")
def koi_3278():
    return read_light_curve(quarter_files(3342467)[:4])


@pytest.fixture(scope="module")
def gj_1243():
    return read_light_curve(quarter_files(9726699))


@pytest.mark.parametrize("window", [0.5, 1.0, 45.0 / 24.0, 5.0])
def test_trend_is_wotans_on_a_real_light_curve_with_gaps(koi_3278, window):
    trend = biweight_trend(koi_3278.time, koi_3278.flux, window)
    reference = wotan_trend(koi_3278.time, koi_3278.flux, window)
    assert np.array_equal(np.isnan(trend), np.isnan(reference))
    np.testing.assert_allclose(trend, reference, rtol=1e-13, atol=0.0)


def test_trend_is_wotans_through_flares(gj_1243):
    trend = biweight_trend(gj_1243.time, gj_1243.flux, 1.0)
    np.testing.assert_allclose(trend, wotan_trend(gj_1243.time, gj_1243.flux, 1.0),
                               rtol=1e-13, atol=0.0)


def test_nan_unsorted_and_constant_stretches_are_handled_as_wotan_does(koi_3278):
    time = koi_3278.time[:3000].copy()
    flux = koi_3278.flux[:3000].copy()
    flux[100:400] = 1.0  # zero MAD: the median is the trend
    flux[::97] = np.nan
    order = np.random.default_rng(3).permutation(time.size)
    trend = biweight_trend(time[order], flux[order], 1.0)
    reference = wotan_trend(time[order], flux[order], 1.0)
    assert np.isnan(trend[np.isnan(flux[order])]).all()
    assert np.array_equal(np.isnan(trend), np.isnan(reference))
    np.testing.assert_allclose(trend, reference, rtol=1e-13, atol=0.0)
    constant = np.isin(order, np.arange(150, 350)) & np.isfinite(flux[order])
    assert np.all(trend[constant] == 1.0)


def test_a_bad_window_is_refused():
    with pytest.raises(ValueError, match="window"):
        biweight_trend(np.arange(10.0), np.ones(10), 0.0)


@pytest.mark.parametrize("stride", [0, -2, 1.5])
def test_a_bad_stride_is_refused(stride):
    with pytest.raises(ValueError, match="stride"):
        biweight_trend(np.arange(10.0), np.ones(10), 1.0, stride)


def test_the_windows_binary_search_is_numpys_searchsorted():
    """The sorted window is searched without branches; it must find numpy's position (the
    first value not below the one sought) for every value present, absent, repeated, below
    and above all, in windows of every size from empty to a few hundred."""
    rng = np.random.default_rng(5)
    for n in [*range(0, 40), 87, 88, 128, 301]:
        window = np.sort(rng.choice(rng.normal(1.0, 1e-3, max(n // 3, 1)), n))  # with repeats
        sought = np.concatenate((window, rng.normal(1.0, 2e-3, 20), [-np.inf, np.inf]))
        buffer = np.concatenate((window, np.full(5, 7.0)))  # beyond n: never read
        for value in sought:
            assert _lower_bound(buffer, n, value) == np.searchsorted(window, value)


def test_padding_the_window_leaves_the_trend_as_it_was(koi_3278):
    """The window's values are padded with far values of zero weight so the reweighting
    sums run in whole vectors; the location must be the unpadded one to rounding, on windows
    of every length (1 to 200 cadences) and on a constant stretch (zero MAD)."""
    for n in [1, 2, 3, 15, 31, 32, 33, 88, 200]:
        values = np.sort(koi_3278.flux[np.isfinite(koi_3278.flux)][:n].copy())
        padded = np.concatenate((values, np.full(-n % 32, _PAD)))
        median, mad = _median_and_mad(values)
        plain = _biweight_location(values, median, mad, BIWEIGHT_CVAL, BIWEIGHT_FTOL)
        assert _biweight_location(padded, median, mad, BIWEIGHT_CVAL, BIWEIGHT_FTOL) == (
            pytest.approx(plain, rel=1e-15, abs=0.0))
    constant = np.concatenate((np.ones(20), np.full(12, _PAD)))
    assert _biweight_location(constant, 1.0, 0.0, BIWEIGHT_CVAL, BIWEIGHT_FTOL) == 1.0


@pytest.mark.parametrize("stride", [2, 3])
def test_a_stride_computes_every_kth_cadence_and_interpolates_between(koi_3278, stride):
    """With a stride k the trend is wotan's at every k-th cadence of each segment and at its
    last, and the straight line in time between them elsewhere."""
    time, flux = koi_3278.time, koi_3278.flux
    exact = biweight_trend(time, flux, 1.0)
    strided = biweight_trend(time, flux, 1.0, stride)
    finite = np.flatnonzero(np.isfinite(time) & np.isfinite(flux))
    t = time[finite]
    bounds = segment_bounds(t)
    assert bounds.size > 3  # several segments: each starts its own count
    computed = np.zeros(t.size, dtype=bool)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        computed[a:b:stride] = True
        computed[b - 1] = True
    np.testing.assert_array_equal(strided[finite][computed], exact[finite][computed])
    assert not np.array_equal(strided[finite], exact[finite])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        anchors = np.flatnonzero(computed[a:b]) + a
        np.testing.assert_allclose(strided[finite][a:b],
                                   np.interp(t[a:b], t[anchors], exact[finite][anchors]),
                                   rtol=1e-12)
    # The interpolated cadences stay close to their own trend (well below the scatter).
    residual = flux[finite] / exact[finite] - 1.0
    gap = np.abs(strided[finite] / exact[finite] - 1.0)
    assert np.sqrt(np.mean(gap**2)) < 0.05 * np.std(residual)
