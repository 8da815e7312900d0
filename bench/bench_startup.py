"""Start-up: `lcfeat --help`, a one-quarter `lcfeat extract`, and a worker process made ready,
against `python -c "import numpy, astropy.io.fits"` measured in the same run.

    .venv/bin/python bench/bench_startup.py [--repeats 7]

Each figure is the median wall time of fresh processes (the reference, --help and extract
alternate, so a busy moment of a shared machine hits all three alike). The worker figure is
the time from starting a `lcfeat run` worker process (spawn, as `lcfeat run` does) to its
"ready" message (process configuration and the quality-flag table loaded): "first" is the
first worker of a run, which includes starting the fork server that imports the feature
stack once; "next" is every further worker and every replacement after a crash.
Goals (issue 13): --help within 1.5x the reference, extract within 4x, a worker ready in
under a second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ONE_QUARTER = next((REPO / "data" / "archive" / "0119" / "011904151").glob("kplr*_llc.fits"))
REFERENCE = [sys.executable, "-c", "import numpy, astropy.io.fits"]
HELP = [sys.executable, "-m", "lcfeat", "--help"]
EXTRACT = [sys.executable, "-m", "lcfeat", "extract", str(ONE_QUARTER)]
GOALS = {"help": 1.5, "extract": 4.0}
WORKER_GOAL_S = 1.0


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def worker_ready_seconds() -> float:
    """Seconds from starting one `lcfeat run` worker to its ready message."""
    from lcfeat.pipeline.executors import LocalExecutor, _Worker

    executor = LocalExecutor(1)
    started = time.perf_counter()
    worker = _Worker(executor.context, executor.work)
    try:
        if not worker.conn.poll(60):
            raise RuntimeError("worker not ready after 60 s")
        worker.conn.recv()
        seconds = time.perf_counter() - started
        worker.ready = True
    finally:
        worker.stop()
    return seconds


FIRST_WORKER = [sys.executable, "-c",
                f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
                "import bench_startup; print(bench_startup.worker_ready_seconds())"]


def first_worker_seconds() -> float:
    """`worker_ready_seconds` in a fresh process: the first worker of a run."""
    out = subprocess.run(FIRST_WORKER, check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    # Warm the file cache and numba's on-disk cache before timing.
    wall(EXTRACT)
    worker_ready_seconds()  # this process's fork server: the "next" workers below
    times: dict[str, list[float]] = {name: [] for name in
                                     ("reference", "help", "extract", "first", "next")}
    for _ in range(args.repeats):
        times["reference"].append(wall(REFERENCE))
        times["help"].append(wall(HELP))
        times["extract"].append(wall(EXTRACT))
        times["first"].append(first_worker_seconds())
        times["next"].append(worker_ready_seconds())
    median = {name: statistics.median(values) for name, values in times.items()}
    reference = median["reference"]
    one, five, _ = os.getloadavg()
    print(f"medians of {args.repeats} fresh processes (load average {one:.2f} {five:.2f})")
    print(f"  python -c 'import numpy, astropy.io.fits' (reference)  {reference:5.2f} s")
    for name, label in (("help", "lcfeat --help"),
                        ("extract", f"lcfeat extract {ONE_QUARTER.name}")):
        ratio = median[name] / reference
        verdict = "ok" if ratio <= GOALS[name] else "OVER"
        print(f"  {label:<54} {median[name]:5.2f} s  x{ratio:.2f} "
              f"(goal <= x{GOALS[name]:g}: {verdict})")
    for name, label in (("first", "lcfeat run worker, start to ready: first of a run"),
                        ("next", "lcfeat run worker, start to ready: every next one")):
        seconds = median[name]
        verdict = "ok" if seconds < WORKER_GOAL_S else "OVER"
        print(f"  {label:<54} {seconds:5.2f} s  x{seconds / reference:.2f} "
              f"(goal < {WORKER_GOAL_S:g} s: {verdict})")


if __name__ == "__main__":
    main()
