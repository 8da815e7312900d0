"""Transit search speed on TESS sectors: binned against unbinned 2-minute data, and the
fast-folding BLS against astropy's BoxLeastSquares on the same grid, as bench_transit.py does
for Kepler.

    .venv/bin/python bench/bench_transit_tess.py [--repeats 5] [--astropy-trials 400]

1. For each bundled TESS star, the whole search (`search_transits`) on its 2-minute light
   curve binned to 10 minutes (what lcfeat does) and unbinned (bin_width=None): CPU seconds,
   and the period, depth and SNR each finds: binning must be faster at no loss.
2. On pi Mensae's sector (2-minute, 18,264 cadences): astropy on a random subset of the
   plan's trial periods (each with its group's durations, astropy's default oversample 10,
   up to 64 periods of one group per call), scaled per period to the whole grid, against
   lcfeat's periodogram and whole search on the same binned flux; and astropy on the
   unbinned 2-minute flux (what a lightkurve user runs) against lcfeat's whole search.
3. All 63 features of that sector.
CPU seconds (process_time) are the figures (the machine may be shared: the load average is
printed); one thread, as a pipeline worker.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from timing import astropy_seconds_per_period, load, timed

ROOT = Path(__file__).resolve().parents[1]
TESS = ROOT / "data" / "tess"
#: The bundled TESS stars and their known planets' periods (published).
STARS = {261136679: ("pi Men", 6.2679), 25155310: ("WASP-126", 3.28880),
         307210830: ("L 98-59", 3.6904), 425933644: ("M dwarf rotator", None),
         38843964: ("F star", None)}
SECTOR_STAR = 261136679


def files(tic: int) -> list[Path]:
    padded = f"{tic:016d}"
    folder = TESS.joinpath(padded[0:4], padded[4:8], padded[8:12], padded[12:16])
    return sorted(p for p in folder.glob("*.fits") if "tess-spoc" not in p.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--astropy-trials", type=int, default=400)
    args = parser.parse_args()

    from lcfeat.features.extract import extract_features
    from lcfeat.features.prepared import Prepared
    from lcfeat.lightcurve import read_light_curve
    from lcfeat.lightcurve.robust import robust_sigma
    from lcfeat.pipeline.executors import configure_worker_process
    from lcfeat.search.core import search_periodic
    from lcfeat.search.detrend import detrend_for_search
    from lcfeat.search.ffa import ffa_periodogram
    from lcfeat.search.transits import bin_for_search, search_transits

    configure_worker_process()
    print(f"start: {load()} on {os.cpu_count()} CPUs; one thread, as a pipeline worker")

    print("\n1. the whole search, 2-minute data binned to 10 minutes (lcfeat) and unbinned:")
    print(f"{'star':<32}{'binned CPU s':>13}{'unbinned':>10}{'speed-up':>9}   "
          f"{'period binned / unbinned (published)':<40}{'SNR binned / unbinned':>22}")
    for tic, (name, published) in STARS.items():
        prepared = Prepared(read_light_curve(files(tic)))
        t, f = prepared.time, prepared.flux
        search_transits(t, f)  # warm-up: compiled kernels, wotan
        _, cpu_b, binned = timed(lambda t=t, f=f: search_transits(t, f), args.repeats)
        _, cpu_u, full = timed(lambda t=t, f=f: search_transits(t, f, bin_width=None),
                               max(1, args.repeats // 2))
        b, u = binned.candidate, full.candidate
        known = f" ({published:.4f})" if published else ""
        print(f"{f'TIC {tic} {name}':<32}{cpu_b:>13.3f}{cpu_u:>10.3f}{cpu_u / cpu_b:>8.0f}x   "
              f"{f'{b.period:.4f} / {u.period:.4f}{known}':<40}"
              f"{f'{b.snr:.1f} / {u.snr:.1f}':>22}")

    lc = read_light_curve(files(SECTOR_STAR))
    prepared = Prepared(lc)
    print(f"\n2. TIC {lc.kepler_id} ({STARS[SECTOR_STAR][0]}), sector {lc.quarters[0]}: "
          f"{lc.n_points} cadences at 2 minutes, {lc.time[-1] - lc.time[0]:.1f} d")
    binned_t, binned_f = bin_for_search(prepared.time, prepared.flux)
    data = detrend_for_search(binned_t, binned_f)
    sigma = robust_sigma(data.y)
    search_periodic(data.time, data.y, sigma=sigma, max_duration=data.max_duration)
    _, cpu_s, found = timed(lambda: search_periodic(
        data.time, data.y, sigma=sigma, max_duration=data.max_duration), args.repeats)
    plan = found.result.plan
    _, cpu_f, _ = timed(lambda: ffa_periodogram(data.time, data.y, plan), args.repeats)
    _, cpu_all, _ = timed(lambda: search_transits(prepared.time, prepared.flux), args.repeats)
    cand = found.result.candidate
    print(f"binned to {data.time.size} points; grid: {plan.total_trials} trial periods in "
          f"{plan.n_groups} groups, periods {1 / plan.f0.max():.2f}-{1 / plan.f0.min():.2f} d")
    print(f"best: P = {cand.period:.5f} d, depth {cand.depth * 1e6:.0f} ppm, duration "
          f"{cand.duration * 24:.2f} h, SNR {cand.snr:.1f}, SDE {found.result.sde:.1f}")
    print(f"lcfeat periodogram {cpu_f:.4f} s CPU; periodogram + refinement + vetting "
          f"{cpu_s:.4f} s; whole search from the 2-minute flux (binning, detrending) "
          f"{cpu_all:.4f} s")
    for oversample in (10, 2):
        same = astropy_seconds_per_period(data.time, data.y, sigma, plan, args.astropy_trials,
                                          oversample)[0] * plan.total_trials
        print(f"astropy BoxLeastSquares (oversample {oversample}) on the same binned flux and "
              f"grid: {same:.2f} s CPU")
        print(f"RATIO TESS astropy (oversample {oversample}) / fast-folding periodogram: "
              f"{same / cpu_f:.0f}x; / whole search incl. refinement: {same / cpu_s:.0f}x (CPU)")
    unbinned = detrend_for_search(prepared.time, prepared.flux)
    raw_sigma = robust_sigma(unbinned.y)
    raw = astropy_seconds_per_period(unbinned.time, unbinned.y, raw_sigma, plan,
                                     args.astropy_trials, 10)[0] * plan.total_trials
    print(f"astropy BoxLeastSquares (oversample 10) on the unbinned 2-minute flux, same grid: "
          f"{raw:.2f} s CPU")
    print(f"RATIO TESS astropy on 2-minute data / lcfeat's whole search from the same data: "
          f"{raw / cpu_all:.0f}x (CPU)")

    extract_features(lc)
    wall_e, cpu_e, row = timed(lambda: extract_features(lc), args.repeats)
    print(f"\n3. ALL {len(row.values)} FEATURES of the sector: median {wall_e:.3f} s wall, "
          f"{cpu_e:.3f} s CPU")
    print("  per domain (last run, wall s): " + ", ".join(
        f"{k} {v:.3f}" for k, v in row.domain_seconds.items()))
    print(f"end: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
