"""The compiled phase-binned BLS kernel against astropy and against its brute-force twin."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from astropy.timeseries import BoxLeastSquares

from lcfeat.features.prepared import Prepared
from lcfeat.lightcurve import read_light_curve
from lcfeat.lightcurve.robust import robust_sigma
from lcfeat.search.bls import bls_binned, bls_slow
from lcfeat.search.detrend import detrended

ARCHIVE = Path(__file__).resolve().parents[2] / "data" / "archive"
KEPLER10_B_PERIOD = 0.8374907  # Dumusque et al. 2014
FIELDS = ("power", "depth", "depth_err", "duration", "transit_time", "depth_snr",
          "log_likelihood")


@cache
def kepler10_detrended() -> tuple[np.ndarray, np.ndarray]:
    lc = read_light_curve(sorted((ARCHIVE / "0119" / "011904151").glob("*_llc.fits")))
    prepared = Prepared(lc)
    return detrended(prepared.time, prepared.flux)


def _astropy(t, y, dy, periods, durations, oversample, objective):
    result = BoxLeastSquares(t, y, dy).power(
        periods, durations, oversample=oversample, objective=objective, method="fast"
    )
    return [np.asarray(getattr(result, name)) for name in FIELDS]


def _ours(t, y, dy, periods, durations, oversample, objective):
    # Same preprocessing as BoxLeastSquares.power: time from its minimum, median removed.
    out = bls_binned(t - t.min(), y - np.median(y), 1.0 / dy**2, periods, durations,
                     oversample, objective == "likelihood")
    out = list(out)
    out[4] = out[4] + t.min()
    return out


@pytest.mark.parametrize("objective", ["likelihood", "snr"])
def test_kernel_equals_astropy_fast_on_kepler10(objective):
    t, y = kepler10_detrended()
    dy = np.full(t.size, robust_sigma(y))
    periods = np.exp(np.linspace(np.log(0.5), np.log(5.0), 400))
    durations = np.array([1.0, 1.5, 2.0, 3.0]) / 24
    ours = _ours(t, y, dy, periods, durations, 10, objective)
    theirs = _astropy(t, y, dy, periods, durations, 10, objective)
    # Same algorithm, same operation order: equal to rounding (1e-9 relative, 1e-9 d).
    for name, a, b in zip(FIELDS, ours, theirs, strict=True):
        if name == "transit_time":
            assert np.allclose(a, b, rtol=0, atol=1e-9), name
        else:
            assert np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True), name
    best = periods[np.argmax(ours[0])]
    # Kepler-10 b; the log grid step here is 0.58%, so that is the tolerance.
    assert best == pytest.approx(KEPLER10_B_PERIOD, rel=0.006)


def test_kernel_agrees_with_astropy_exact_method_near_kepler10b():
    """Against astropy's unbinned brute-force method (exact box edges)."""
    t, y = kepler10_detrended()
    dy = np.full(t.size, robust_sigma(y))
    periods = np.linspace(0.8370, 0.8380, 11)
    durations = np.array([1.5, 1.8, 2.1]) / 24
    ours = _ours(t, y, dy, periods, durations, 10, "likelihood")
    exact = BoxLeastSquares(t, y, dy).power(periods, durations, oversample=10, method="slow")
    k_ours, k_exact = int(np.argmax(ours[0])), int(np.argmax(exact.power))
    # Binning moves box edges by at most a tenth of the shortest duration: the same peak,
    # depths within 5%, mid-times within two bins (0.3 h).
    assert abs(k_ours - k_exact) <= 1
    assert ours[1][k_ours] == pytest.approx(exact.depth[k_exact], rel=0.05)
    dt = (ours[4][k_ours] - exact.transit_time[k_exact] + periods[k_ours] / 2) % periods[
        k_ours] - periods[k_ours] / 2
    assert abs(dt) <= 2 * durations.min() / 10


def test_kernel_equals_bruteforce_reference():
    rng = np.random.default_rng(7)
    t = np.sort(rng.uniform(0.0, 20.0, 600))
    y = 1e-3 * rng.normal(size=t.size)
    y[np.abs((t - 0.7 + 1.55) % 3.1 - 1.55) < 0.06] -= 2e-3
    ivar = rng.uniform(0.5, 2.0, t.size) * 1e6
    periods = np.linspace(2.5, 3.5, 25)
    durations = np.array([0.05, 0.08, 0.12])
    fast = bls_binned(t, y, ivar, periods, durations, 5, True)
    slow = bls_slow(t, y, ivar, periods, durations, 5, True)
    # The reference sums every box from scratch: equal to summation rounding.
    for name, a, b in zip(FIELDS, fast, slow, strict=True):
        assert np.allclose(a, b, rtol=1e-9, atol=1e-12), name
    assert periods[np.argmax(fast[0])] == pytest.approx(3.1, abs=0.05)


def test_kernel_is_thread_safe():
    """No shared state: concurrent calls (the GIL released) give the serial answers."""
    rng = np.random.default_rng(3)
    inputs = []
    for shift in range(4):
        t = np.sort(rng.uniform(0, 30, 3000))
        y = rng.normal(size=t.size) * 1e-3
        y[np.abs((t - shift + 1.0) % 2.0 - 1.0) < 0.05] -= 1e-3
        inputs.append((t, y, np.ones_like(t), np.linspace(1.5, 2.5, 300),
                       np.array([0.05, 0.1]), 10, True))
    serial = [bls_binned(*args) for args in inputs]
    threaded: list = [None] * len(inputs)

    def work(i):
        threaded[i] = bls_binned(*inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for a, b in zip(serial, threaded, strict=True):
        for x, z in zip(a, b, strict=True):
            assert np.array_equal(x, z, equal_nan=True)


@pytest.mark.parametrize(
    ("periods", "durations", "oversample"),
    [([1.0], [2.0], 10), ([], [0.1], 10), ([1.0], [0.1], 0), ([-1.0], [0.1], 10)],
)
def test_bad_grids_raise(periods, durations, oversample):
    t = np.linspace(0, 10, 100)
    with pytest.raises(ValueError):
        bls_binned(t, np.zeros_like(t), np.ones_like(t), np.array(periods, dtype=float),
                   np.array(durations, dtype=float), oversample)
