"""Transit search speed: the fast-folding BLS against astropy's BoxLeastSquares on the same
grid, and the seconds per full 17-quarter target for every feature.

    .venv/bin/python bench/bench_transit.py [--repeats 5] [--astropy-trials 400]

astropy is timed on a random subset of the plan's trial periods (each with its group's
durations, astropy's default oversample 10), up to 64 periods of one group per call as a
user running the whole grid would, and scaled per period to the whole grid: running it on all
~180,000 periods would take over a minute. CPU seconds (process_time) are reported
beside wall seconds because the machine may be shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from timing import astropy_seconds_per_period, load, timed

ROOT = Path(__file__).resolve().parents[1]
FULL_TARGET = ROOT / "data" / "archive" / "0033" / "003342467"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--astropy-trials", type=int, default=400)
    args = parser.parse_args()


    from lcfeat.features.prepared import Prepared
    from lcfeat.lightcurve import read_light_curve
    from lcfeat.lightcurve.robust import robust_sigma
    from lcfeat.pipeline.executors import configure_worker_process
    from lcfeat.search.core import search_periodic
    from lcfeat.search.detrend import detrend_for_search
    from lcfeat.search.ffa import ffa_periodogram

    configure_worker_process()  # as each `lcfeat run` worker: one thread per core
    print(f"start: {load()} on {os.cpu_count()} CPUs; one thread, as a pipeline worker")
    lc = read_light_curve(sorted(FULL_TARGET.glob("kplr*_llc.fits")))
    prepared = Prepared(lc)
    print(f"KIC {lc.kepler_id}: {lc.n_points} cadences, {len(lc.quarters)} quarters, "
          f"{lc.time[-1] - lc.time[0]:.0f} d")

    detrend = lambda: detrend_for_search(prepared.time, prepared.flux)  # noqa: E731
    detrend()  # warm-up: wotan's numba compilation, our cached kernels
    wall, cpu, data = timed(detrend, args.repeats)
    print(f"detrend for the search: {wall:.3f} s wall, {cpu:.3f} s CPU "
          f"(window {data.window} d, red-noise ratio {data.red_noise:.2f})")

    sigma = robust_sigma(data.y)
    search = lambda: search_periodic(  # noqa: E731
        data.time, data.y, sigma=sigma, max_duration=data.max_duration)
    search()
    wall_s, cpu_s, found = timed(search, args.repeats)
    result = found.result
    plan = result.plan
    cand = result.candidate
    print(f"grid: {plan.total_trials} trial periods in {plan.n_groups} fast-fold groups "
          f"(Ofir oversampling {plan.oversample:g}), {plan.widths.size} group widths")
    print(f"best: P = {cand.period:.5f} d, epoch {cand.epoch:.4f}, duration "
          f"{cand.duration * 24:.2f} h, depth {cand.depth * 1e6:.0f} ppm, SNR {cand.snr:.1f}, "
          f"SDE {result.sde:.1f}")

    ffa = lambda: ffa_periodogram(data.time, data.y, plan)  # noqa: E731
    wall_f, cpu_f, _ = timed(ffa, args.repeats)
    print(f"fast-folding periodogram alone: {wall_f:.3f} s wall, {cpu_f:.3f} s CPU "
          f"({cpu_f / plan.total_trials * 1e6:.2f} us CPU per trial period)")
    print(f"whole search (periodogram + refinement + event checks): {wall_s:.3f} s wall, "
          f"{cpu_s:.3f} s CPU")
    parallel = lambda: ffa_periodogram(data.time, data.y, plan, parallel=True)  # noqa: E731
    parallel()  # warm-up: loads (or compiles) the threaded kernel
    wall_p, _, _ = timed(parallel, args.repeats)
    print(f"periodogram with parallel=True (bonus, all cores): {wall_p:.3f} s wall")

    # oversample 10 is astropy's default; 2 bins per shortest duration is the coarsest that
    # still resolves it (our bins: a third of the Sun-like duration, 2/3 of the shortest).
    for oversample in (10, 2):
        astropy_cpu, astropy_wall = astropy_seconds_per_period(
            data.time, data.y, sigma, plan, args.astropy_trials, oversample)
        full = astropy_cpu * plan.total_trials
        print(f"astropy BoxLeastSquares (fast method, oversample {oversample}), same trials "
              f"and durations: {astropy_cpu * 1e3:.3f} ms CPU per period "
              f"({astropy_wall * 1e3:.3f} ms wall) -> {full:.0f} s CPU for the grid")
        print(f"RATIO astropy (oversample {oversample}) / fast-folding periodogram: "
              f"{full / cpu_f:.0f}x; / whole search incl. refinement: {full / cpu_s:.0f}x (CPU)")

    from lcfeat.features.extract import extract_features

    extract_features(lc)
    wall_e, cpu_e, row = timed(lambda: extract_features(lc), args.repeats)
    print(f"ALL {len(row.values)} FEATURES of the full target: median {wall_e:.3f} s wall, "
          f"{cpu_e:.3f} s CPU per target (goal <= 1 s on one core)")
    print("  per domain (last run, wall s): " + ", ".join(
        f"{k} {v:.3f}" for k, v in row.domain_seconds.items()))
    print(f"end: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
