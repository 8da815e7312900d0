"""Real bundled light curves and a light-curve factory for the feature-domain tests.

The real targets are read once per session (17 quarters take about a second) and their arrays
are made read-only, so a test that modified a shared light curve in place would fail loudly
instead of corrupting the tests after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from lcfeat.features.registry import BY_DOMAIN, names_in
from lcfeat.lightcurve import LightCurve, read_light_curve

#: Kepler long cadence in days (29.4244 min, Kepler Instrument Handbook KSCI-19033).
KEPLER_CADENCE = 0.0204336

ARCHIVE = Path(__file__).resolve().parents[2] / "data" / "archive"


def target_files(kepler_id: int) -> list[Path]:
    folder = ARCHIVE / f"{kepler_id:09d}"[:4] / f"{kepler_id:09d}"
    files = sorted(folder.glob("kplr*_llc.fits"))
    if not files:
        raise FileNotFoundError(f"no bundled light curve for KIC {kepler_id} in {folder}")
    return files


@cache
def _read(kepler_id: int) -> LightCurve:
    lc = read_light_curve(target_files(kepler_id))
    for array in (lc.time, lc.flux, lc.flux_err, lc.quarter, lc.centroid_col, lc.centroid_row):
        if array is not None:
            array.flags.writeable = False
    return lc


@pytest.fixture(scope="session")
def read_target() -> Callable[[int], LightCurve]:
    """Reads a bundled target by KIC id (cached: each is read once per session)."""
    return _read


@pytest.fixture(scope="session")
def bundled_files() -> Callable[[int], list[Path]]:
    """The bundled quarter files of a KIC id, in quarter order."""
    return target_files


@pytest.fixture(scope="session")
def kic3342467() -> LightCurve:
    """KOI-3278, self-lensing white-dwarf binary: 17 quarters, about 65,000 cadences."""
    return _read(3342467)


@pytest.fixture(scope="session")
def kepler10() -> LightCurve:
    """Kepler-10 (KIC 11904151), Q13: Kepler-10 b transits, P = 0.8375 d, 150 ppm."""
    return _read(11904151)


@pytest.fixture(scope="session")
def flare_star() -> LightCurve:
    """GJ 1243 (KIC 9726699), Q3: a flaring M dwarf."""
    return _read(9726699)


@pytest.fixture(scope="session")
def faint_star() -> LightCurve:
    """KIC 10001893, Q9: faint and noisy."""
    return _read(10001893)


def make_light_curve(
    flux: np.ndarray,
    time: np.ndarray | None = None,
    quarter: np.ndarray | int = 1,
    centroid_col: np.ndarray | None = None,
    centroid_row: np.ndarray | None = None,
    centroid_null_reason: str | None = None,
    kepler_id: int = 1,
) -> LightCurve:
    """A LightCurve from arrays; time defaults to a gapless Kepler long-cadence grid."""
    flux = np.asarray(flux, dtype=np.float64)
    if time is None:
        time = 100.0 + KEPLER_CADENCE * np.arange(flux.size)
    quarters = (
        np.full(flux.size, quarter, dtype=np.int16)
        if np.isscalar(quarter)
        else np.asarray(quarter, dtype=np.int16)
    )
    if centroid_col is None and centroid_null_reason is None:
        centroid_null_reason = "constructed without centroids"
    return LightCurve(
        kepler_id=kepler_id,
        time=np.asarray(time, dtype=np.float64),
        flux=flux,
        flux_err=np.full(flux.size, 1e-4),
        quarter=quarters,
        centroid_col=centroid_col,
        centroid_row=centroid_row,
        centroid_null_reason=centroid_null_reason,
    )


@pytest.fixture(scope="session")
def light_curve_from() -> Callable[..., LightCurve]:
    """Factory: `light_curve_from(flux, time=None, quarter=1, centroid_col=None, ...)`."""
    return make_light_curve


def _long_light_curve(kind: str, n: int = 70_000) -> LightCurve:
    """70,000 cadences (about a full Kepler mission) on the long-cadence grid, a 1-day gap
    every 30 days and a new quarter every 90, with random centroids: white noise or 0/1 bits."""
    rng = np.random.default_rng(70_000)
    time = 100.0 + KEPLER_CADENCE * np.arange(n)
    time += np.floor((time - 100.0) / 30.0)  # 1-day gaps
    quarter = (1 + (time - 100.0) // 90.0).astype(np.int16)
    if kind == "white":
        flux = 1.0 + 1e-3 * rng.standard_normal(n)
    elif kind == "bits":
        flux = rng.integers(0, 2, n).astype(np.float64)
    else:
        raise ValueError(kind)
    return make_light_curve(
        flux, time=time, quarter=quarter,
        centroid_col=500 + 0.02 * rng.standard_normal(n),
        centroid_row=300 + 0.02 * rng.standard_normal(n),
    )


@pytest.fixture(scope="session", params=["white", "bits"])
def long_light_curve(request) -> LightCurve:
    """A 70,000-cadence light curve of white noise, then of random 0/1 bits (O(N log N) tests)."""
    return _long_light_curve(request.param)


def assert_policy(domain: str, result) -> None:
    """The NULL policy of FEATURES.md: exactly the domain's names, then its extras, each a
    finite float or None with a non-empty reason (and no reason for a value)."""
    assert list(result.values) == list(names_in(domain))
    assert list(result.extras) == list(BY_DOMAIN[domain].extra_names)
    for name, value in (*result.values.items(), *result.extras.items()):
        if value is None:
            assert isinstance(result.null_reasons.get(name), str) and result.null_reasons[name]
        else:
            assert isinstance(value, float) and math.isfinite(value), (name, value)
            assert name not in result.null_reasons, name
