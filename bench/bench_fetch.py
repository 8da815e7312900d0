"""Fetch throughput against a local MAST-layout server with ~50 ms added per request.

    .venv/bin/python bench/bench_fetch.py [--latency 0.05] [--rounds 3] [--concurrency 4 16]

The server (tests/archive/archive_fault_server.py, no faults) runs in a separate process so
that its threads do not compete with the client for the interpreter lock. Each round fetches
the 5 bundled targets (22 files, 9.8 MB) into an empty cache: folder listing, download,
checksum verification, atomic write. Sequential (one request at a time, the way a
one-target-at-a-time downloader works) is the reference; the best round of each mode is
reported, and the ratio of concurrent to sequential throughput is printed. A last line gives
the speed of a run whose files are all cached already (manifest + verification, no download).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lcfeat.archive import Cache, ClientSettings, HttpArchive  # noqa: E402

TARGETS = [3342467, 11904151, 10001893, 10002792, 9726699]


def serve(latency: float, ready, stop) -> None:
    from tests.archive.archive_fault_server import FaultServer

    with FaultServer(REPO / "data" / "archive", latency=latency) as server:
        ready.send(server.url)
        stop.wait()


def one_round(url: str, concurrency: int, cache_root: Path) -> tuple[float, int, int]:
    settings = ClientSettings(concurrency=concurrency)
    archive = HttpArchive(url, Cache(cache_root), settings)
    started = time.perf_counter()
    results = list(archive.iter_fetch(TARGETS, concurrency=concurrency))
    seconds = time.perf_counter() - started
    failures = [r.error for r in results if r.error]
    if failures:
        raise SystemExit(f"fetch failed: {failures}")
    files = sum(len(r.paths) for r in results)
    downloaded = sum(r.downloaded_bytes for r in results)
    return seconds, files, downloaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode (best is kept)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    args = parser.parse_args()

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    ready_recv, ready_send = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=serve, args=(args.latency, ready_send, stop), daemon=True)
    server.start()
    url = ready_recv.recv()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (figures are noisy "
          "on a shared machine)")
    try:
        rows = []
        with tempfile.TemporaryDirectory() as scratch:
            for concurrency in [1, *args.concurrency]:
                best = None
                for round_index in range(args.rounds):
                    cache_root = Path(scratch) / f"c{concurrency}-r{round_index}"
                    measured = one_round(url, concurrency, cache_root)
                    if best is None or measured[0] < best[0]:
                        best = measured
                rows.append((concurrency, *best))
            # Everything cached: the manifest says the target is complete, files are verified.
            cached_root = Path(scratch) / f"c{args.concurrency[-1]}-r0"
            cached = one_round(url, args.concurrency[-1], cached_root)
    finally:
        stop.set()
        server.join(timeout=5)

    files, megabytes = rows[0][2], rows[0][3] / 1e6
    print(f"{len(TARGETS)} targets, {files} files, {megabytes:.1f} MB per round, "
          f"{args.latency * 1000:.0f} ms added per request, best of {args.rounds} rounds")
    print(f"{'mode':<12}{'parallel':>9}{'seconds':>9}{'files/s':>9}{'MB/s':>8}")
    for concurrency, seconds, n_files, n_bytes in rows:
        label = "sequential" if concurrency == 1 else "concurrent"
        print(f"{label:<12}{concurrency:>9}{seconds:>9.3f}{n_files / seconds:>9.1f}"
              f"{n_bytes / 1e6 / seconds:>8.1f}")
    sequential = rows[0][1]
    for concurrency, seconds, *_ in rows[1:]:
        print(f"speed-up, {concurrency} concurrent requests vs sequential: "
              f"{sequential / seconds:.1f}x")
    print(f"all cached (no download, verify only): {cached[0]:.3f} s, "
          f"{cached[1] / cached[0]:.0f} files/s")


if __name__ == "__main__":
    main()
