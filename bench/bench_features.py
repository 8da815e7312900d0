"""Per-target time of the 53 non-transit features on the bundled 17-quarter KIC 3342467.

    .venv/bin/python bench/bench_features.py [--repeats 25] [--no-reference]

Each domain module `lcfeat.features.<domain>` that exists is imported (a missing one is
reported, not fatal) and timed as `compute(Prepared(lc))` with a fresh `Prepared` per repeat,
so the work a domain shares with others (cosmic-ray cleaning, the biweight trend of the
residuals) is counted in its time; "all together" runs every domain on one fresh `Prepared`,
which is what one target costs. Medians over the repeats after two warm-up calls (numba
compilation, caches). The goal is all 53 together under 50 ms.

Everything is timed twice: with glibc malloc's defaults, then after `keep_freed_memory()`
(mallopt: keep freed memory in the process). The defaults hand every multi-MB array back to
the kernel when it is freed, and the next target page-faults it in again; a worker process
can avoid that with one call at start-up.

Numba's parallel regions (wotan's biweight uses them) run on one thread by default: in
production each worker process takes one core, and on a shared 2-core machine parallel
regions that wait for a busy core made the biweight trend vary from 20 to 600 ms.
`--numba-threads` changes it.

As a reference measured in the same run, astropy's own fast Lomb-Scargle on the frequency
domain's grid is timed too. The machine may be shared: the load average is printed, and the
figures are only comparable between runs on an idle machine.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import numba  # noqa: E402

from lcfeat.features.prepared import Prepared  # noqa: E402
from lcfeat.features.registry import names_in  # noqa: E402
from lcfeat.lightcurve import LightCurve, read_light_curve  # noqa: E402
from lcfeat.pipeline.executors import keep_freed_memory  # noqa: E402

NON_TRANSIT = ("statistical", "temporal", "frequency", "residual", "shape", "centroid")
KIC = 3342467
GOAL_MS = 50.0


def load() -> LightCurve:
    folder = REPO / "data" / "archive" / f"{KIC:09d}"[:4] / f"{KIC:09d}"
    files = sorted(folder.glob("kplr*_llc.fits"))
    if not files:
        raise SystemExit(f"no bundled light curve for KIC {KIC} in {folder}")
    return read_light_curve(files)


def median_ms(run: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """Median, min and max wall time in ms of `run` after two warm-up calls."""
    run()
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times), min(times), max(times)


def astropy_reference_ms(lc: LightCurve, repeats: int) -> float:
    """astropy LombScargle(method='fast') on the frequency domain's grid, median ms."""
    from astropy.timeseries import LombScargle

    from lcfeat.features import frequency
    from lcfeat.features.frequency_periodogram import frequency_grid

    prepared = Prepared(lc)
    t, y = prepared.time, prepared.flux
    df, k_first, k_last = frequency._grid(float(t.max() - t.min()))
    grid = frequency_grid(k_first, k_last, df)
    ls = LombScargle(t, y, fit_mean=False, center_data=True)
    return median_ms(lambda: ls.power(grid, method="fast", assume_regular_frequency=True),
                     repeats)[0]


def time_domains(
    lc: LightCurve, modules: dict[str, ModuleType], repeats: int
) -> dict[str, tuple[float, float, float]]:
    rows = {"shared work": median_ms(lambda: Prepared(lc).residuals, repeats)}
    for domain, module in modules.items():
        rows[domain] = median_ms(lambda m=module: m.compute(Prepared(lc)), repeats)

    def all_domains() -> None:
        prepared = Prepared(lc)
        for module in modules.values():
            module.compute(prepared)

    rows["all together"] = median_ms(all_domains, repeats)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25, help="timed repeats (>= 20)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip timing astropy's fast Lomb-Scargle")
    parser.add_argument("--numba-threads", type=int, default=1,
                        help="threads of numba's parallel regions (default 1, one per worker)")
    args = parser.parse_args(argv)
    repeats = max(20, args.repeats)
    numba.set_num_threads(min(args.numba_threads, numba.config.NUMBA_NUM_THREADS))

    lc = load()
    modules, missing = {}, []
    for domain in NON_TRANSIT:
        try:
            modules[domain] = importlib.import_module(f"lcfeat.features.{domain}")
        except ModuleNotFoundError as error:
            if error.name != f"lcfeat.features.{domain}":
                raise
            missing.append(domain)

    print(f"KIC {KIC}: {len(lc.quarters)} quarters, {lc.n_points} cadences; "
          f"median of {repeats} repeats after 2 warm-ups, a fresh Prepared per repeat")
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on "
          f"{os.cpu_count()} cores (timings are noisy on a shared machine); "
          f"numba threads {numba.get_num_threads()}")
    default = time_domains(lc, modules, repeats)
    tuned = time_domains(lc, modules, repeats) if keep_freed_memory() else None

    print()
    print("median ms per target (min-max); 'kept memory': after keep_freed_memory()")
    print(f"{'domain':<14}{'features':>9}{'default malloc':>22}{'kept memory':>22}")

    def cell(row: tuple[float, float, float] | None) -> str:
        if row is None:
            return f"{'n/a':>22}"
        return f"{row[0]:>9.1f} ({row[1]:.1f}-{row[2]:.1f})".rjust(22)

    n_features = sum(len(names_in(d)) for d in modules)
    for name in default:
        count = {"shared work": "", "all together": str(n_features)}.get(
            name, str(len(names_in(name))) if name in modules else "")
        print(f"{name:<14}{count:>9}{cell(default[name])}{cell(tuned and tuned[name])}")
    for domain in missing:
        print(f"{domain:<14}{len(names_in(domain)):>9}{'missing (module not written yet)':>44}")
    print("(shared work: cosmic-ray cleaning + biweight trend, counted in every domain row "
          "that uses it, once in 'all together')")
    print()
    scope = "all 53 non-transit features" if not missing else (
        f"{n_features} of the 53 non-transit features ({', '.join(missing)} missing)")
    for label, rows in (("default malloc", default), ("kept memory", tuned)):
        if rows is None:
            continue
        med = rows["all together"][0]
        verdict = "met" if med < GOAL_MS and not missing else "NOT met"
        print(f"goal: {scope} under {GOAL_MS:.0f} ms per target, {label}: {med:.1f} ms, "
              f"{verdict}")

    if not args.no_reference and "frequency" in modules:
        reference = astropy_reference_ms(lc, 3)
        frequency_ms = (tuned or default)["frequency"][0]
        print(f"reference: astropy LombScargle(method='fast') on the same grid alone takes "
              f"{reference:.0f} ms, {reference / frequency_ms:.0f}x the whole frequency domain "
              f"({frequency_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
