"""`lcfeat run`: fetch, extract and store features for many targets."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from lcfeat.cli.common import (
    EXIT_DATABASE_LOST,
    EXIT_FAILED_TARGETS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    add_db_option,
    add_mission_option,
    env,
    open_store,
    positive_int,
    quality_setting,
    seconds,
)


def register(sub: Any) -> None:
    from lcfeat.pipeline.settings import DEFAULTS

    run = sub.add_parser("run", help="fetch, extract and store features for many targets")
    run.add_argument("--targets", help="KIC ids (TIC ids with --mission tess) separated by "
                     "commas, a text file (one id per line), a CSV with a target_id or kepid "
                     "(tic_id) column, or a preset name; default: every target of a local "
                     "--archive folder")
    add_mission_option(run)
    run.add_argument("--archive", default=env("ARCHIVE"),
                     help="MAST (default), an http(s) URL of a MAST-layout tree, a local "
                          "mirror folder or a lightkurve cache ($LCFEAT_ARCHIVE)")
    run.add_argument("--cache", default=env("CACHE"),
                     help="download cache folder ($LCFEAT_CACHE; default: the user cache)")
    add_db_option(run)
    run.add_argument("--workers", type=positive_int, default=DEFAULTS.workers,
                     help="extraction processes (default: one per core)")
    run.add_argument("--io-concurrency", type=positive_int, default=DEFAULTS.io_concurrency,
                     help=f"concurrent downloads (default {DEFAULTS.io_concurrency})")
    run.add_argument("--batch-size", type=positive_int, default=DEFAULTS.batch_size,
                     help=f"targets per committed batch (default {DEFAULTS.batch_size})")
    run.add_argument("--target-timeout", type=seconds, default=DEFAULTS.target_timeout,
                     help="seconds before a target's local worker is stopped "
                          f"(default {DEFAULTS.target_timeout:g})")
    run.add_argument("--archive-outage-budget", type=seconds,
                     default=DEFAULTS.archive_outage_budget,
                     help="seconds the archive may stay unreachable, the fetching paused, "
                          "before the run stops with exit 3 (default "
                          f"{DEFAULTS.archive_outage_budget:g})")
    run.add_argument("--quality", default=DEFAULTS.quality,
                     help="quality mask: default (lightkurve default + rolling band), hard, "
                          "hardest, none, or an integer bitmask")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--force", action="store_true", help="recompute targets already done")
    mode.add_argument("--retry-failed", action="store_true",
                      help="rerun only the targets that failed before")
    run.add_argument("--label", help="a label stored with the run's provenance")
    run.add_argument("--executor", choices=("local", "dask"), default=DEFAULTS.executor,
                     help="local worker processes (default) or a Dask cluster")
    run.add_argument("--dask-scheduler", help="tcp://HOST:PORT of a Dask scheduler")
    run.add_argument("--quiet", action="store_true", help="no progress bar, warnings only")
    run.add_argument("--log-file", help="also write a detailed log to this file")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from lcfeat.pipeline.executors import start_fork_server

    if args.executor == "local" and not args.dask_scheduler:
        start_fork_server()  # its imports overlap with the checks below

    from lcfeat.archive import open_archive
    from lcfeat.pipeline import RunSettings, run_pipeline, targets_for_run
    from lcfeat.store import DatabaseUnavailableError

    kepler_ids, labels = targets_for_run(args.targets, args.archive, args.mission)
    settings = RunSettings(
        workers=args.workers, batch_size=args.batch_size, io_concurrency=args.io_concurrency,
        target_timeout=args.target_timeout, quality=quality_setting(args.quality),
        force=args.force, retry_failed=args.retry_failed, label=args.label,
        executor="dask" if args.dask_scheduler else args.executor,
        dask_scheduler=args.dask_scheduler, archive_outage_budget=args.archive_outage_budget,
        mission=args.mission,
    )
    settings.feature_settings()  # an unknown --quality is a usage error, found now
    # a cache that cannot be written, a host name that does not resolve: found now
    archive = open_archive(args.archive, args.cache, check=True, mission=args.mission)
    store = open_store(args.db, write=True)  # schema and write access checked before work
    progress, finish = _progress_reporter(len(kepler_ids), quiet=args.quiet)
    try:
        summary = run_pipeline(store, archive, args.archive or "mast", kepler_ids, settings,
                               progress=progress, labels=labels, argv=args.argv)
    except DatabaseUnavailableError as exc:
        print(f"lcfeat: stopped: {exc}", file=sys.stderr)
        return EXIT_DATABASE_LOST
    finally:
        finish()
    _print_summary(summary, store)
    store.close()
    if summary.stopped:
        print(f"lcfeat: stopped: {summary.stopped}; every finished target is saved and the "
              "others are pending: run the same command again to resume", file=sys.stderr)
        return EXIT_UNREACHABLE
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.failed == 0 else EXIT_FAILED_TARGETS


def _progress_reporter(total: int, quiet: bool) -> tuple[Callable[..., None], Callable[[], None]]:
    """A rich progress bar on a terminal, one structured log line per target elsewhere."""
    from lcfeat.features.registry import N_FEATURES

    target_log = logging.getLogger("lcfeat.run")

    def log_line(outcome: Any, summary: Any) -> None:
        if outcome is None:
            return
        if outcome.row is not None:
            row = outcome.row
            mean = row.values.get("stat_mean")
            target_log.info(
                "%s done %s=%d n_points=%d stat_mean=%s valid=%d/%d time=%.2fs",
                outcome.target_id, "sectors" if row.mission == "tess" else "quarters",
                len(row.quarters), row.n_points,
                f"{mean:.6f}" if mean is not None else "NULL", row.n_valid, N_FEATURES,
                outcome.seconds,
            )
        elif outcome.failure is not None:
            target_log.warning("%s failed stage=%s error=%s: %s", outcome.target_id,
                               outcome.failure.stage, outcome.failure.error_type,
                               outcome.failure.message)

    if quiet or not sys.stderr.isatty():
        return log_line, lambda: None

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]lcfeat run"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"), TextColumn("{task.fields[rate]}"),
        TextColumn("batch {task.fields[batch]}"),
        TimeElapsedColumn(), TimeRemainingColumn(),
        TextColumn("[bold yellow]{task.fields[note]}"), transient=False,
    )
    task = bar.add_task("run", total=total, failed=0, rate="", batch=1, note="")
    bar.start()

    def update(outcome: Any, summary: Any) -> None:
        log_line(outcome, summary)
        # called from the fetch thread too (the archive went away or came back)
        bar.update(task, completed=summary.processed + summary.skipped, failed=summary.failed,
                   rate=f"{summary.rate:.2f} targets/s", batch=summary.batches_committed + 1,
                   note=summary.archive_note)

    return update, bar.stop


def _print_summary(summary: Any, store: Any) -> None:
    from lcfeat.features.registry import N_FEATURES

    out = sys.stdout
    print(f"\nrun {summary.run_id}: {summary.requested} targets requested", file=out)
    print(f"  done      {summary.done}", file=out)
    print(f"  failed    {summary.failed}", file=out)
    print(f"  skipped   {summary.skipped} (already done with the same settings)", file=out)
    pending = summary.requested - summary.skipped - summary.processed
    if pending > 0:
        print(f"  pending   {pending} (not processed yet: the same command resumes them)",
              file=out)
    if summary.done:
        print(f"  features per target  {summary.features_per_target:.1f} of {N_FEATURES} valid",
              file=out)
    if summary.processed:
        print(f"  success rate  {100 * summary.done / summary.processed:.1f}%   "
              f"throughput {summary.rate:.2f} targets/s ({summary.seconds:.1f} s)", file=out)
    for reason, count in summary.failures_by_reason.most_common():
        print(f"  failed by {reason}: {count}", file=out)
    for target, message in summary.failed_targets[:20]:
        print(f"    {target}: {message}", file=out)
    if len(summary.failed_targets) > 20:
        print(f"    ... and {len(summary.failed_targets) - 20} more (lcfeat status)", file=out)
    print(f"  data written to {store.url} (tables features, targets, failures, runs)", file=out)
    if summary.interrupted:
        print("interrupted: finished targets are saved; run the same command again to resume",
              file=out)
    elif summary.failed:
        print("rerun only the failed targets with --retry-failed", file=out)
