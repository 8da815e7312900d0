"""Timing helpers shared by the bench scripts (a folder of scripts: each imports this file
from its own folder)."""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

#: Trial periods per astropy call (all of one group, at most).
PER_CALL = 64


def timed(fn, repeats: int):
    """(median wall s, median CPU s, last result) over `repeats` calls."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def astropy_seconds_per_period(time_: np.ndarray, y: np.ndarray, sigma: float, plan,
                               trials: int, oversample: int) -> tuple[float, float]:
    """(CPU, wall) seconds per trial period of astropy's BoxLeastSquares on lcfeat's `plan`:
    groups drawn at random (seeded, weighted by their trials) until `trials` periods are
    timed, up to PER_CALL periods of one group per call with that group's durations.
    astropy has a fixed cost per call (~0.7 ms) beside its cost per period: one period per
    call would charge it to every period (a threefold overestimate for a grid)."""
    from astropy.timeseries import BoxLeastSquares

    rng = np.random.default_rng(0)
    weights = plan.n_trials / plan.n_trials.sum()
    groups = rng.choice(plan.n_groups, size=plan.n_groups, replace=False, p=weights)
    bls = BoxLeastSquares(time_, y, np.full(time_.size, sigma))
    c0, w0, done = time.process_time(), time.perf_counter(), 0
    for g in groups:
        if done >= trials:
            break
        take = np.arange(min(PER_CALL, int(plan.n_trials[g])))
        widths = plan.widths[plan.width_offset[g]:plan.width_offset[g + 1]]
        durations = widths / (plan.f0[g] * plan.n_bins[g])
        bls.power(1.0 / (plan.f0[g] + plan.step[g] * take), durations,
                  oversample=oversample, objective="likelihood")
        done += take.size
    return (time.process_time() - c0) / done, (time.perf_counter() - w0) / done
