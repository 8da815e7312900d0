"""The detectability ceiling (bench/bench_ceiling.py) measures what it says: its empirical SNR
is the box SNR on white noise, and its Gaussian process takes a rotating star's spots out
(otherwise a broken detrending would pass for a low ceiling)."""

from __future__ import annotations

import math

import numpy as np
import population as pop
from bench_ceiling import boxes, empirical_snr, fixed_flux_snr, gp_snr

PERIOD, EPOCH, DURATION, NOISE = 3.7, 1.3, 0.125, 1e-3


def planet(time: np.ndarray, snr: float, period: float = PERIOD
           ) -> tuple[pop.Signal, np.ndarray]:
    """A box planet of white-noise box SNR `snr` (depth x sqrt(cadences in transit) / NOISE)
    on `time`, and its model (0 out of transit, -depth in)."""
    signal = pop.Signal("planet", period, EPOCH, DURATION, 0.0, snr, snr, 0, 0.0, 0.0)
    inside = signal.in_box(time)
    depth = snr * NOISE / math.sqrt(int(inside.sum()))
    return signal, np.where(inside, -depth, 0.0)


def test_empirical_snr_is_the_box_snr_on_white_noise():
    """One light curve's value scatters by about 1 (the noise in the true box) plus the
    error of the scatter estimated from random boxes: the mean of ten is held."""
    time = np.arange(0.0, 400.0, pop.CADENCE_D)
    signal, model = planet(time, 15.0, period=11.7)
    with_planet, noise_only = [], []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        noise = rng.normal(0.0, NOISE, time.size)
        with_planet.append(fixed_flux_snr(time, model + noise, boxes(signal, rng, count=400)))
        noise_only.append(fixed_flux_snr(time, noise, boxes(signal, rng, count=400)))
    assert abs(np.mean(with_planet) - 15.0) < 2.0
    # Without the planet the true box is one more noise box.
    assert abs(np.mean(noise_only)) < 1.5


def test_empirical_snr_needs_enough_random_boxes():
    assert math.isnan(empirical_snr([1.0, *([0.5] * 5)]))
    assert math.isnan(empirical_snr([math.nan, *np.linspace(0.0, 1.0, 20)]))


def test_the_gaussian_process_takes_a_rotating_stars_spots_out():
    """Spots of 1% at 3 days, with a harmonic and an amplitude that drifts: undetrended, the
    planet is lost in them; the GP's residual gives back most of its white-noise SNR."""
    rng = np.random.default_rng(7)
    time = np.arange(0.0, 90.0, pop.CADENCE_D)
    rotation = 3.0
    phase = 2.0 * np.pi * time / rotation
    envelope = 1.0 + 0.3 * np.sin(2.0 * np.pi * time / 40.0)
    spots = 0.01 * envelope * (np.sin(phase) + 0.3 * np.sin(2.0 * phase + 1.0))
    signal, model = planet(time, 15.0)
    y = spots + model + rng.normal(0.0, NOISE, time.size)
    compared = boxes(signal, rng)
    raw = fixed_flux_snr(time, y, compared)
    detrended = gp_snr(time, y, np.ones(time.size, dtype=bool), rotation, compared)
    assert raw < 5.0
    assert detrended > 0.7 * 15.0
