"""Injection helpers: the batman model, the recovery rule, the expected SNR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lcfeat.lightcurve import LightCurve
from lcfeat.study import injection
from lcfeat.study.injection import Injection, is_recovered


def _planet(period=5.0, epoch=10.0, rp=0.05, impact=0.0) -> Injection:
    return Injection(period, epoch, rp, injection.a_over_rs(period), impact)


def test_recovery_rule():
    planet = _planet()
    d = planet.duration
    assert is_recovered(5.0, 10.0, planet)
    assert is_recovered(5.02, 10.0 + 0.9 * d, planet)  # 0.4% and within one duration
    assert is_recovered(2.5, 12.5, planet)  # half period: epochs compared modulo 2.5 d
    assert is_recovered(10.0, 15.0, planet)  # twice the period, the other transit
    assert not is_recovered(5.05, 10.0, planet)  # 1% off
    assert not is_recovered(5.0, 10.0 + 1.5 * d, planet)
    assert not is_recovered(3.33, 10.0, planet)  # 2/3 is not an accepted alias


def test_batman_depth_matches_limb_darkening_formula():
    # A slow exposure-free check: the centre of a transit of a small planet is
    # rp^2 I(centre) / <I> = rp^2 / (1 - u1/3 - u2/6) for quadratic limb darkening
    # (Mandel & Agol 2002, small-planet limit); the 29.4-min integration smooths a 13-h
    # transit by under 1%.
    planet = _planet(period=365.25, epoch=0.0, rp=0.01)
    t = np.linspace(-0.02, 0.02, 41)
    model = injection.transit_model(t, planet)
    u1, u2 = injection.LIMB_DARKENING
    expected = 0.01**2 / (1 - u1 / 3 - u2 / 6)
    assert 1 - model.min() == pytest.approx(expected, rel=0.02)
    # Sun-like host: 13 h for a central transit at 1 yr (within 3% of 13.0 h).
    assert planet.duration * 24 == pytest.approx(13.0, rel=0.03)


def test_expected_snr_on_white_noise():
    """For white noise the expected SNR is sum(depth) / (sigma sqrt(n_in))."""
    rng = np.random.default_rng(4)
    t = np.arange(0.0, 60.0, injection.EXPOSURE_D)
    sigma = 1e-3
    lc = LightCurve(kepler_id=1, time=t, flux=1 + sigma * rng.standard_normal(t.size),
                    flux_err=np.full(t.size, sigma), quarter=np.ones(t.size, np.int16))
    noise = injection.NoiseModel(lc)
    planet = _planet(period=4.0, epoch=1.0, rp=0.03)
    model = injection.transit_model(t, planet)
    deficit = 1 - model[model < 1]
    white = deficit.sum() / (sigma * math.sqrt(deficit.size))
    # Block means of white noise: robust scatter within ~5% for ~300 blocks; 10% stated.
    assert injection.expected_snr(model, noise, planet.duration) == pytest.approx(white, rel=0.1)
    assert injection.transits_with_data(t, model, planet) == 15
