"""The NULL policy under hostile input: never raise, never inf or NaN, NULL always explained.

Hypothesis feeds each domain light curves built from bad arrays: tiny (0-5 cadences), constant,
huge (1e300), subnormal, NaN and inf mixed with ordinary values, repeated or jumping times,
centroids that are NaN or absurd. Every value must be a finite float, or None with a reason.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lcfeat.features.null_policy import NON_FINITE_REASON, finish
from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import BY_DOMAIN, compute_domain, names_in
from lcfeat.features.spec import DomainResult
from lcfeat.lightcurve import LightCurve
from tests.features.conftest import assert_policy

DOMAINS = ("statistical", "temporal", "shape", "centroid")
KEPLER_CADENCE = 0.0204336

BAD_VALUES = [0.0, 1.0, -1.0, 1e300, -1e300, 1e-308, 5e-324, 1.7976931348623157e308,
              np.nan, np.inf, -np.inf]
#: Steps between cadences: regular, doubled, repeated time, tiny, a gap, a huge jump.
STEPS = [KEPLER_CADENCE, KEPLER_CADENCE, KEPLER_CADENCE, 2 * KEPLER_CADENCE, 0.0, 1e-12, 1.0,
         3.0, 1e6]


@st.composite
def flux_arrays(draw, n: int) -> np.ndarray:
    kind = draw(st.sampled_from(["constant", "bad mix", "noise with outliers", "any float"]))
    if kind == "constant":
        return np.full(n, draw(st.sampled_from([1.0, 0.0, 1e300, 5e-324, 0.1])))
    if kind == "bad mix":
        return draw(arrays(np.float64, n, elements=st.sampled_from(BAD_VALUES)))
    if kind == "noise with outliers":
        seed = draw(st.integers(0, 2**32 - 1))
        flux = 1 + 1e-3 * np.random.default_rng(seed).standard_normal(n)
        k = draw(st.integers(0, n))
        flux[:k] = draw(st.sampled_from(BAD_VALUES))
        return np.random.default_rng(seed).permutation(flux)
    return draw(arrays(np.float64, n, elements=st.floats(allow_nan=True, allow_infinity=True)))


@st.composite
def bad_light_curves(draw) -> LightCurve:
    n = draw(st.integers(0, 400))
    steps = draw(arrays(np.float64, max(n - 1, 0), elements=st.sampled_from(STEPS)))
    time = draw(st.sampled_from([0.0, 131.5, -1e6])) + np.concatenate(([0.0], np.cumsum(steps)))
    time = time[:n]
    flux = draw(flux_arrays(n))
    quarter = np.sort(draw(arrays(np.int16, n, elements=st.integers(0, 17))))
    centroids = draw(st.sampled_from(["none", "normal", "bad"]))
    col = row = None
    if centroids == "normal":
        col = 500 + 0.01 * np.random.default_rng(n).standard_normal(n)
        row = 300 + 0.01 * np.random.default_rng(n + 1).standard_normal(n)
    elif centroids == "bad":
        col = draw(flux_arrays(n))
        row = draw(flux_arrays(n))
    return LightCurve(kepler_id=1, time=time, flux=flux, flux_err=np.full(n, 1e-4),
                      quarter=quarter, centroid_col=col, centroid_row=row,
                      centroid_null_reason=None if col is not None else "no centroids")


@pytest.mark.parametrize("domain", DOMAINS)
@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lc=bad_light_curves())
def test_bad_arrays_give_finite_values_or_explained_nulls(domain, lc):
    # "raise": a floating-point warning escaping a domain (instead of becoming NULL) fails.
    with np.errstate(all="raise"):
        result = compute_domain(domain, Prepared(lc))
    assert_policy(domain, result)


@st.composite
def long_contaminated_light_curves(draw) -> LightCurve:
    """1,000-4,000 regular cadences (long enough for the rescaled range and the daily ADF
    bins) of noise, random walk or steps, with a few absurd values mixed in."""
    n = draw(st.integers(1000, 4000))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["noise", "walk", "steps"]))
    base = {"noise": rng.standard_normal(n), "walk": np.cumsum(rng.standard_normal(n)),
            "steps": np.repeat(rng.standard_normal(n // 100 + 1), 100)[:n]}[kind]
    flux = 1 + draw(st.sampled_from([1e-3, 1e-12, 1e100])) * base
    k = draw(st.integers(0, 20))
    flux[rng.integers(0, n, k)] = draw(st.sampled_from(BAD_VALUES))
    time = 100 + KEPLER_CADENCE * np.arange(n)
    return LightCurve(kepler_id=1, time=time, flux=flux, flux_err=np.full(n, 1e-4),
                      quarter=np.ones(n, dtype=np.int16), centroid_col=500 + 0 * base,
                      centroid_row=300 + 1e-3 * base)


@pytest.mark.parametrize("domain", DOMAINS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lc=long_contaminated_light_curves())
def test_long_contaminated_light_curves(domain, lc):
    with np.errstate(all="raise"):
        result = compute_domain(domain, Prepared(lc))
    assert_policy(domain, result)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("case", ["three points", "constant", "huge outliers", "empty"])
def test_named_bad_cases(domain, case):
    n = {"three points": 3, "empty": 0}.get(case, 500)
    time = 100 + KEPLER_CADENCE * np.arange(n)
    flux = {"three points": np.array([1.0, 1.001, 0.999]), "empty": np.empty(0),
            "constant": np.ones(n)}.get(case)
    if flux is None:
        flux = 1 + 1e-3 * np.random.default_rng(0).standard_normal(n)
        flux[::10] = 1e300
        flux[5::10] = -1e300
    lc = LightCurve(kepler_id=1, time=time, flux=flux, flux_err=np.full(n, 1e-4),
                    quarter=np.ones(n, dtype=np.int16), centroid_col=flux * 0 + 500.0,
                    centroid_row=flux * 0 + 300.0)
    assert_policy(domain, compute_domain(domain, Prepared(lc)))


def test_finish_turns_non_finite_into_null_with_reason():
    values = dict.fromkeys(names_in("centroid"), 1.0)
    values["centroid_jitter_max"] = math.inf
    values["centroid_rms_motion"] = math.nan
    result = finish(BY_DOMAIN["centroid"], DomainResult(values))
    assert result.values["centroid_jitter_max"] is None
    assert result.values["centroid_rms_motion"] is None
    assert result.null_reasons == {"centroid_jitter_max": NON_FINITE_REASON,
                                   "centroid_rms_motion": NON_FINITE_REASON}


def test_finish_refuses_null_without_reason_and_unknown_names():
    with pytest.raises(AssertionError, match="without a reason"):
        finish(BY_DOMAIN["centroid"], DomainResult(dict.fromkeys(names_in("centroid"))))
    with pytest.raises(AssertionError, match="centroid_wobble"):
        finish(BY_DOMAIN["centroid"], DomainResult({"centroid_wobble": 1.0}))


def test_finish_holds_extras_to_the_policy():
    """An extra is a finite float or NULL with a reason, as a feature is: an inf becomes an
    explained NULL, a NULL (or a declared extra left out) without a reason is a bug."""
    values = dict.fromkeys(names_in("shape"), 1.0)
    result = finish(BY_DOMAIN["shape"], DomainResult(
        values, extras={"shape_flare_rate": math.inf, "shape_flare_flux_fraction": 0.5}))
    assert result.extras == {"shape_flare_rate": None, "shape_flare_flux_fraction": 0.5}
    assert result.null_reasons == {"shape_flare_rate": NON_FINITE_REASON}
    explained = DomainResult(dict(values)).set_extras_null(
        ("shape_flare_rate", "shape_flare_flux_fraction"), "too short")
    assert finish(BY_DOMAIN["shape"], explained).null_reasons == {
        "shape_flare_rate": "too short", "shape_flare_flux_fraction": "too short"}
    for extras in ({"shape_flare_rate": None, "shape_flare_flux_fraction": 0.5},
                   {"shape_flare_flux_fraction": 0.5}):
        with pytest.raises(AssertionError, match="shape_flare_rate is NULL without a reason"):
            finish(BY_DOMAIN["shape"], DomainResult(dict(values), extras=extras))
