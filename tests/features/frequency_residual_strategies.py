"""Hypothesis strategies of hostile light curves for the frequency and residual domain tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lcfeat.lightcurve import LightCurve

KEPLER_CADENCE = 0.0204336

BAD_VALUES = [0.0, 1.0, -1.0, 1e300, -1e300, 1e-308, 5e-324, 1.7976931348623157e308,
              np.nan, np.inf, -np.inf]
#: Steps between cadences, by regime: Kepler-like (regular, doubled, gaps), degenerate
#: (repeated or almost repeated times), wild (jumps past the periodogram's grid limit).
STEPS = {
    "kepler": [KEPLER_CADENCE] * 6 + [2 * KEPLER_CADENCE, 0.6, 3.0],
    "degenerate": [KEPLER_CADENCE, 0.0, 0.0, 1e-12],
    "wild": [KEPLER_CADENCE, 0.0, 1e-12, 0.6, 3.0, 1e5],
}


@st.composite
def hostile_flux(draw, n: int) -> np.ndarray:
    kind = draw(st.sampled_from(["constant", "bad mix", "noise with outliers", "any float",
                                 "two levels"]))
    if kind == "constant":
        return np.full(n, draw(st.sampled_from([1.0, 0.0, 1e300, 5e-324, 0.1])))
    if kind == "bad mix":
        return draw(arrays(np.float64, n, elements=st.sampled_from(BAD_VALUES)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "noise with outliers":
        flux = 1 + 1e-3 * rng.standard_normal(n)
        k = draw(st.integers(0, n))
        flux[:k] = draw(st.sampled_from(BAD_VALUES))
        return rng.permutation(flux)
    if kind == "two levels":  # ties at the median, a flat biweight trend
        return rng.integers(0, 2, n).astype(np.float64)
    return draw(arrays(np.float64, n, elements=st.floats(allow_nan=True, allow_infinity=True)))


@st.composite
def hostile_light_curves(draw, max_points: int = 300) -> LightCurve:
    n = draw(st.integers(0, max_points))
    regime = draw(st.sampled_from(["kepler", "kepler", "degenerate", "wild"]))
    steps = draw(arrays(np.float64, max(n - 1, 0), elements=st.sampled_from(STEPS[regime])))
    start = draw(st.sampled_from([0.0, 131.5, -1e6]))
    time = (start + np.concatenate(([0.0], np.cumsum(steps))))[:n]
    quarter = np.sort(draw(arrays(np.int16, n, elements=st.integers(0, 17))))
    return LightCurve(kepler_id=1, time=time, flux=draw(hostile_flux(n)),
                      flux_err=np.full(n, 1e-4), quarter=quarter,
                      centroid_null_reason="no centroids")


NAMED_BAD_CASES = ["empty", "three points", "constant", "huge outliers"]


def named_bad_flux(case: str) -> np.ndarray:
    """The NULL-policy cases of issue 3: nothing, 3 points, constant flux, +-1e300 outliers."""
    n = {"empty": 0, "three points": 3}.get(case, 500)
    flux = {"empty": np.empty(0), "three points": np.array([1.0, 1.001, 0.999]),
            "constant": np.ones(n)}.get(case)
    if flux is None:
        flux = 1 + 1e-3 * np.random.default_rng(0).standard_normal(n)
        flux[::10], flux[5::10] = 1e300, -1e300
    return flux
