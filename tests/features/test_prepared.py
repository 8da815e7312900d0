"""The cleaned flux every domain shares: cosmic rays out, flares and dips in.

GJ 1243 (KIC 9726699) is one of the best-known flaring stars of the mission. Its statistical
and shape features must describe its flares as an independent recomputation does: lightkurve
reads the same file with the same quality bitmask, and numpy/scipy compute the moments and the
excursions of the median-normalised PDCSAP flux with nothing clipped.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from scipy import stats

from lcfeat.features.prepared import Prepared, cosmic_ray_mask
from lcfeat.features.registry import compute_domain
from lcfeat.lightcurve import quality_bitmask

GJ1243 = 9726699


@pytest.fixture(scope="module")
def gj1243_reference(bundled_files) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lightkurve as lk

        lc = lk.read(bundled_files(GJ1243)[0], flux_column="pdcsap_flux",
                     quality_bitmask=quality_bitmask("default")).remove_nans()
    flux = lc.flux.value / np.median(lc.flux.value)
    median = np.median(flux)
    sigma = stats.median_abs_deviation(flux, scale="normal")
    return {"skewness": float(stats.skew(flux)), "kurtosis": float(stats.kurtosis(flux)),
            "n_high": float(np.sum(flux - median > 3 * sigma)),
            "max_up": float((flux.max() - median) / sigma)}


def test_gj1243_flares_are_kept_in_every_domain(read_target, gj1243_reference):
    prepared = Prepared(read_target(GJ1243))
    stat = compute_domain("statistical", prepared).values
    shape = compute_domain("shape", prepared).values
    ref = gj1243_reference
    assert ref["skewness"] > 2 and ref["n_high"] >= 10  # the star does flare
    for mine, theirs in ((stat["stat_skewness"], ref["skewness"]),
                         (stat["stat_kurtosis"], ref["kurtosis"]),
                         (shape["shape_n_high_excursions"], ref["n_high"]),
                         (shape["shape_max_excursion_up"], ref["max_up"])):
        assert 0.5 * theirs <= mine <= 2.0 * theirs
    # The few cadences still cut are lone single-cadence spikes.
    assert np.count_nonzero(~prepared.clean_mask) <= 10


def test_a_multi_cadence_flare_is_kept_and_a_lone_spike_is_cut(kepler10):
    """A flare of Davenport et al. (2014)'s shape (fast rise, decay over several cadences) at
    30 sigma stays whole; a +30 sigma spike on one cadence, with normal neighbours, goes."""
    flux = np.array(kepler10.flux)
    sigma = stats.median_abs_deviation(np.diff(flux), scale="normal") / np.sqrt(2)
    peak = 1000
    decay = 30 * sigma * np.exp(-np.arange(6) / 1.5)
    flux[peak:peak + 6] += decay
    flux[peak - 1] += 0.3 * decay[0]  # the rise, within the cadence before the peak
    spike = 3000
    flux[spike] += 30 * sigma
    keep = cosmic_ray_mask(flux)
    assert keep[peak - 1:peak + 6].all()
    assert not keep[spike]
    # Nothing else changes: Kepler-10's own few lone spikes are cut with or without them.
    own = set(np.flatnonzero(~cosmic_ray_mask(np.asarray(kepler10.flux))))
    assert set(np.flatnonzero(~keep)) == own | {spike}


def test_dips_are_never_cut(kepler10):
    flux = np.array(kepler10.flux)
    flux[2000] -= 0.01  # a 50-sigma single-cadence dip
    keep = cosmic_ray_mask(flux)
    assert keep[2000]
    assert Prepared(dataclasses.replace(kepler10, flux=flux)).flux.size == keep.sum()
