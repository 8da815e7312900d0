"""The registry is the contract: the 63 names of FEATURES.md, domain sizes, generated docs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lcfeat.features import extract, registry
from lcfeat.features.docs import features_markdown
from lcfeat.features.null_policy import NON_FINITE_REASON, RegistryMismatchError
from lcfeat.features.registry import DOMAIN_SIZES, DOMAINS, FEATURE_NAMES, FEATURES, names_in
from lcfeat.features.spec import DomainResult
from lcfeat.lightcurve import LightCurve

# Copied from FEATURES.md (schema version 1): the column names the deployed database has.
DEPLOYED_COLUMNS = [
    "stat_mean", "stat_median", "stat_std", "stat_variance", "stat_mad", "stat_range", "stat_iqr",
    "stat_skewness", "stat_kurtosis", "stat_percentile_5", "stat_percentile_95",
    "stat_beyond_1sigma", "temp_duration_days", "temp_n_points", "temp_cadence_median",
    "temp_cadence_std", "temp_autocorr_1hr", "temp_autocorr_1day", "temp_autocorr_1week",
    "temp_memory_coefficient", "temp_trend_strength", "temp_stationarity_pvalue",
    "freq_dominant_period", "freq_dominant_power", "freq_period_snr", "freq_n_significant_peaks",
    "freq_spectral_entropy", "freq_low_freq_power", "freq_high_freq_power", "freq_power_ratio",
    "freq_harmonic_count", "freq_quasi_periodic_score", "freq_is_instrumental_alias",
    "resid_after_detrend_std", "resid_after_detrend_autocorr", "resid_structure_score",
    "resid_power_ratio", "resid_entropy", "resid_run_test_pvalue", "resid_ljung_box_pvalue",
    "resid_complexity", "shape_n_high_excursions", "shape_n_low_excursions",
    "shape_max_excursion_up", "shape_max_excursion_down", "shape_asymmetry",
    "shape_max_consecutive_up", "shape_max_consecutive_down", "shape_crossing_rate",
    "transit_bls_power", "transit_bls_period", "transit_bls_depth", "transit_bls_duration",
    "transit_n_detected", "transit_depth_consistency", "transit_timing_consistency",
    "transit_implied_r_planet_rjup", "transit_physically_plausible",
    "transit_odd_even_consistent", "centroid_jitter_mean", "centroid_jitter_std",
    "centroid_jitter_max", "centroid_rms_motion",
]


def test_names_are_exactly_the_deployed_columns():
    assert list(FEATURE_NAMES) == DEPLOYED_COLUMNS
    assert len(FEATURE_NAMES) == 63


def test_domain_sizes_match_the_contract():
    assert DOMAIN_SIZES == {"statistical": 12, "temporal": 10, "frequency": 11, "residual": 8,
                            "shape": 8, "transit": 10, "centroid": 4}
    for domain in DOMAINS:
        assert len(names_in(domain)) == DOMAIN_SIZES[domain]


def test_every_feature_is_documented():
    for feature in FEATURES:
        assert feature.unit and feature.definition and feature.reference, feature.name


def test_docs_are_generated_from_the_registry():
    docs = Path(__file__).resolve().parents[2] / "docs" / "features.md"
    assert docs.read_text() == features_markdown(), (
        "docs/features.md is stale: run `make docs`")


def _tiny_lc() -> LightCurve:
    t = np.arange(100, dtype=float) * 0.0204
    return LightCurve(kepler_id=1, time=t, flux=np.ones(100), flux_err=np.ones(100) * 1e-4,
                      quarter=np.ones(100, dtype=np.int16))


def _with_compute(monkeypatch, compute) -> None:
    """Replace the centroid domain's compute function in the registry."""
    spec = registry.BY_DOMAIN["centroid"]
    monkeypatch.setitem(registry.BY_DOMAIN, "centroid", dataclasses.replace(spec, compute=compute))


def test_unknown_or_missing_key_fails_loudly(monkeypatch):
    def broken(prepared):
        values = {name: 1.0 for name in names_in("centroid")[:-1]}
        values["centroid_wobble"] = 2.0
        return DomainResult(values)

    _with_compute(monkeypatch, broken)
    with pytest.raises(RegistryMismatchError, match="centroid_wobble"):
        extract.extract_features(_tiny_lc(), domains=("centroid",))


def test_null_without_reason_fails_loudly_and_inf_becomes_an_explained_null(monkeypatch):
    _with_compute(monkeypatch,
                  lambda prepared: DomainResult({name: None for name in names_in("centroid")}))
    with pytest.raises(RegistryMismatchError, match="without a reason"):
        extract.extract_features(_tiny_lc(), domains=("centroid",))
    _with_compute(monkeypatch, lambda prepared: DomainResult(
        {name: float("inf") for name in names_in("centroid")}))
    row = extract.extract_features(_tiny_lc(), domains=("centroid",))
    assert all(value is None for value in row.values.values())
    assert set(row.null_reasons.values()) == {NON_FINITE_REASON}
