"""End-to-end throughput of `lcfeat run` on full-length targets, warm local archive.

Builds a temporary MAST-layout mirror holding N copies of the bundled 17-quarter KIC 3342467
(each copy re-keyed to its own KIC id, checksums rewritten), then measures:
  - a plain sequential loop (read + extract in this process, no store), the reference;
  - `run_pipeline` with 1 and 2 worker processes into a fresh SQLite database;
and prints targets/s, the ratio to the sequential loop, and the peak memory of a worker.

Then the same, sequential loop and 2 workers, on a mirror of the population bench's
full-length stars (`population.py`: quiet, spotted, flaring, giant, detached and contact
binaries, `--per-kind` of each, with their injected transits): each star's flux is written
into KIC 3342467's quarter files in place of their PDCSAP flux (times, quality flags and
centroids kept), so `lcfeat run` reads, cleans and measures it as it would an archive star.

    .venv/bin/python bench/bench_pipeline.py [--targets 40] [--per-kind 8]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from astropy.io import fits

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "data" / "archive" / "0033" / "003342467"
FIRST_VIRTUAL_KIC = 90_000_001


def quarter_templates() -> list[tuple[str, fits.HDUList]]:
    """KIC 3342467's quarter files in memory: (the file name's time stamp part, its HDUs)."""
    templates = []
    for path in sorted(SOURCE.glob("kplr*_llc.fits")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(path, memmap=False) as hdul:
                templates.append((path.name.split("-")[1], fits.HDUList([h.copy() for h in hdul])))
    return templates


def target_folder(root: Path, kic: int) -> Path:
    return root / f"{kic:09d}"[:4] / f"{kic:09d}"


def write_quarter(hdul: fits.HDUList, root: Path, kic: int, stamp: str) -> None:
    """One quarter file of target `kic`, re-keyed, its checksums rewritten."""
    hdul[0].header["KEPLERID"] = kic
    hdul[0].header["OBJECT"] = f"KIC {kic}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hdul.writeto(target_folder(root, kic) / f"kplr{kic:09d}-{stamp}", checksum=True)


def build_mirror(root: Path, n_targets: int) -> list[int]:
    ids = [FIRST_VIRTUAL_KIC + i for i in range(n_targets)]
    templates = quarter_templates()
    for kic in ids:
        target_folder(root, kic).mkdir(parents=True)
        for stamp, hdul in templates:
            write_quarter(hdul, root, kic, stamp)
    return ids


def build_population_mirror(root: Path, per_kind: int, seed: int = 1) -> list[int]:
    """The population bench's full-length stars, `per_kind` of each kind, as Kepler files:
    each star's flux and errors, scaled to the quarter's PDCSAP level, in place of KIC
    3342467's (the population's time template) at the same time stamps."""
    import numpy as np
    import population as pop

    templates = pop.load_templates()
    quarters = quarter_templates()
    ids = []
    for kind in pop.FULL_LENGTH_KINDS:
        for index in range(per_kind):
            star = pop.make_star(kind, index, seed, templates)
            lc = star.light_curve
            target_folder(root, star.star_id).mkdir(parents=True)
            for stamp, hdul in quarters:
                table = hdul[1].data
                original_flux = np.array(table["PDCSAP_FLUX"], dtype=np.float64)
                original_err = np.array(table["PDCSAP_FLUX_ERR"], dtype=np.float64)
                rows = np.minimum(np.searchsorted(lc.time, table["TIME"]), lc.time.size - 1)
                matched = np.abs(lc.time[rows] - table["TIME"]) < 1e-6
                level = np.nanmedian(original_flux[matched]) if matched.any() else 1.0
                flux, err = original_flux.copy(), original_err.copy()
                flux[matched] = lc.flux[rows[matched]] * level
                err[matched] = lc.flux_err[rows[matched]] * level
                table["PDCSAP_FLUX"] = flux
                table["PDCSAP_FLUX_ERR"] = err
                write_quarter(hdul, root, star.star_id, stamp)
                table["PDCSAP_FLUX"] = original_flux  # the template serves the next star
                table["PDCSAP_FLUX_ERR"] = original_err
            ids.append(star.star_id)
    return ids


def sequential(root: Path, ids: list[int]) -> float:
    from lcfeat.features.extract import extract_features
    from lcfeat.lightcurve import read_light_curve

    def files(kic: int) -> list[Path]:
        return sorted(target_folder(root, kic).glob("*.fits"))

    extract_features(read_light_curve(files(ids[0])))  # warm-up
    started = time.perf_counter()
    for kic in ids:
        extract_features(read_light_curve(files(kic)))
    return time.perf_counter() - started


def pipeline(root: Path, ids: list[int], workers: int, db: Path) -> tuple[float, int, float]:
    from lcfeat.archive import open_archive
    from lcfeat.pipeline import RunSettings, run_pipeline
    from lcfeat.store import Store

    store = Store.connect(f"sqlite:///{db}")
    store.prepare()
    settings = RunSettings(workers=workers, batch_size=8)
    finished: list[float] = []
    started = time.perf_counter()
    summary = run_pipeline(store, open_archive(str(root), None), str(root), ids, settings,
                           argv=["bench"],
                           progress=lambda outcome, _: finished.append(time.perf_counter()))
    seconds = time.perf_counter() - started
    store.close()
    if summary.failed:
        sys.exit(f"bench failed: {summary.failed_targets}")
    # steady state: from the first `workers` results on, worker start-up excluded
    steady = (len(finished) - workers) / (finished[-1] - finished[workers - 1])
    return seconds, summary.done, steady


def population_run(work: Path, per_kind: int) -> None:
    root = work / "population"
    ids = build_population_mirror(root, per_kind)
    print(f"{len(ids)} full-length stars of the population bench ({per_kind} each of quiet, "
          "spotted, flaring, giant, detached and contact binaries), warm mirror")
    seq = sequential(root, ids)
    seq_rate = len(ids) / seq
    print(f"  sequential loop (reference)   {seq_rate:6.2f} targets/s  "
          f"({seq / len(ids):.2f} s per target)")
    seconds, done, steady = pipeline(root, ids, 2, work / "population.db")
    rate = done / seconds
    print(f"  lcfeat run, 2 worker(s)        {rate:6.2f} targets/s  "
          f"x{rate / seq_rate:.2f} vs sequential, start-up included; steady state "
          f"{steady:.2f} targets/s (x{steady / seq_rate:.2f})")
    print("  goal: about 2 targets/s on a mixed population on 2 cores (first measured: 0.40)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=40)
    parser.add_argument("--per-kind", type=int, default=8,
                        help="population stars of each full-length kind (0: none)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lcfeat-bench-"))
    try:
        root = work / "archive"
        ids = build_mirror(root, args.targets)
        print(f"{len(ids)} full-length targets (17 quarters, KIC 3342467 re-keyed), warm mirror")
        seq = sequential(root, ids)
        seq_rate = len(ids) / seq
        print(f"  sequential loop (reference)   {seq_rate:6.2f} targets/s  "
              f"({seq / len(ids):.2f} s per target)")
        for workers in (1, 2):
            seconds, done, steady = pipeline(root, ids, workers, work / f"w{workers}.db")
            rate = done / seconds
            print(f"  lcfeat run, {workers} worker(s)        {rate:6.2f} targets/s  "
                  f"x{rate / seq_rate:.2f} vs sequential, start-up included; steady state "
                  f"{steady:.2f} targets/s (x{steady / seq_rate:.2f})")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"  peak memory of one worker     {peak_mb:6.0f} MB")
        print("  goal: >= 2 targets/s for full-length targets on 2 cores "
              "(first version: 0.03-0.05)")
        if args.per_kind > 0:
            population_run(work, args.per_kind)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
