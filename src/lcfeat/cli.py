"""The `lcfeat` command: parses, calls the library, prints. Exit codes: 0 all targets done,
1 finished with failed targets, 2 usage or configuration error before any work started,
3 stopped because the database stayed unreachable (committed batches are kept)."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lcfeat import __version__
from lcfeat.cli_types import DEFAULT_DB, positive_float, positive_int
from lcfeat.errors import ConfigurationError, LcfeatError

log = logging.getLogger("lcfeat")

EXIT_OK, EXIT_FAILED_TARGETS, EXIT_USAGE, EXIT_DATABASE_LOST = 0, 1, 2, 3


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"LCFEAT_{name}", default)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=_env("DB", DEFAULT_DB),
        help="SQLAlchemy URL: sqlite:///lcfeat.db (default, or $LCFEAT_DB), "
             "postgresql://user:pass@host:5432/dbname",
    )


def setup_logging(quiet: bool = False, log_file: str | None = None, debug: bool = False) -> None:
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    handlers: list[logging.Handler] = []
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handlers.append(RichHandler(show_path=False, rich_tracebacks=debug))
    else:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(stream)
    for handler in handlers:
        handler.setLevel(level)
    if log_file:
        file_handler = logging.FileHandler(log_file)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
        handlers.append(file_handler)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if (debug or log_file) else level)
    for noisy in ("httpx", "httpcore", "numba", "distributed", "asyncio", "matplotlib",
                  "astropy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _open_store(url: str) -> Any:
    from lcfeat.store import Store

    store = Store.connect(url)
    store.prepare()
    return store


# ---- run ----------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from lcfeat.archive import open_archive
    from lcfeat.pipeline import RunSettings, run_pipeline
    from lcfeat.store import DatabaseUnavailableError
    from lcfeat.targets import read_target_labels, resolve_targets

    archive_spec = args.archive
    kepler_ids = resolve_targets(args.targets, archive_spec)
    labels: dict[int, str] = {}
    if args.targets and Path(args.targets).is_file():
        labels = read_target_labels(Path(args.targets))
    elif args.targets:
        from lcfeat import catalog

        if args.targets in catalog.PRESETS:
            labels = catalog.preset_labels(args.targets)
    settings = RunSettings(
        workers=args.workers, batch_size=args.batch_size, io_concurrency=args.io_concurrency,
        target_timeout=args.target_timeout, quality=_quality(args.quality), force=args.force,
        retry_failed=args.retry_failed, label=args.label,
        executor="dask" if args.dask_scheduler else args.executor,
        dask_scheduler=args.dask_scheduler,
    )
    settings.feature_settings()  # an unknown --quality is a usage error, found now
    archive = open_archive(archive_spec, Path(args.cache) if args.cache else None)
    archive_name = archive_spec or "mast"
    store = _open_store(args.db)  # schema checked before any target is processed
    progress, finish = _progress_reporter(len(kepler_ids), quiet=args.quiet)
    try:
        summary = run_pipeline(store, archive, archive_name, kepler_ids, settings,
                               progress=progress, labels=labels, argv=args.argv)
    except DatabaseUnavailableError as exc:
        print(f"lcfeat: stopped: {exc}", file=sys.stderr)
        return EXIT_DATABASE_LOST
    finally:
        finish()
    _print_summary(summary, store, args)
    store.close()
    if summary.interrupted:
        return 130
    return EXIT_OK if summary.failed == 0 else EXIT_FAILED_TARGETS


def _quality(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _progress_reporter(total: int, quiet: bool) -> tuple[Callable[..., None], Callable[[], None]]:
    """A rich progress bar on a terminal, one structured log line per target elsewhere."""
    target_log = logging.getLogger("lcfeat.run")

    def log_line(outcome: Any, summary: Any) -> None:
        if outcome is None:
            return
        if outcome.row is not None:
            row = outcome.row
            mean = row.values.get("stat_mean")
            target_log.info(
                "KIC %d done quarters=%d n_points=%d stat_mean=%s valid=%d/63 time=%.2fs",
                outcome.kepler_id, len(row.quarters), row.n_points,
                f"{mean:.6f}" if mean is not None else "NULL", row.n_valid, outcome.seconds,
            )
        elif outcome.failure is not None:
            target_log.warning("KIC %d failed stage=%s error=%s: %s", outcome.kepler_id,
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
        TimeElapsedColumn(), TimeRemainingColumn(), transient=False,
    )
    task = bar.add_task("run", total=total, failed=0, rate="", batch=1)
    bar.start()

    def update(outcome: Any, summary: Any) -> None:
        log_line(outcome, summary)
        bar.update(task, completed=summary.processed + summary.skipped, failed=summary.failed,
                   rate=f"{summary.rate:.2f} targets/s", batch=summary.batches_committed + 1)

    return update, bar.stop


def _print_summary(summary: Any, store: Any, args: argparse.Namespace) -> None:
    out = sys.stdout
    print(f"\nrun {summary.run_id}: {summary.requested} targets requested", file=out)
    print(f"  done      {summary.done}", file=out)
    print(f"  failed    {summary.failed}", file=out)
    print(f"  skipped   {summary.skipped} (already done with the same settings)", file=out)
    if summary.done:
        print(f"  features per target  {summary.features_per_target:.1f} of 63 valid", file=out)
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


# ---- extract ------------------------------------------------------------------------------
def cmd_extract(args: argparse.Namespace) -> int:
    from lcfeat.features.extract import extract_features
    from lcfeat.lightcurve import read_light_curve

    lc = read_light_curve(args.files, quality=_quality(args.quality))
    row = extract_features(lc)
    record: dict[str, Any] = {"target_id": row.target_id, **row.values, **row.extras,
                              "n_points": row.n_points, "quarters": list(row.quarters),
                              "extraction_time_seconds": round(row.extraction_seconds, 4)}
    if args.format == "json":
        record["null_reasons"] = row.null_reasons
        json.dump(record, sys.stdout, indent=2, allow_nan=False)
        print()
    else:
        record["quarters"] = ",".join(map(str, row.quarters))
        writer = csv.DictWriter(sys.stdout, fieldnames=list(record))
        writer.writeheader()
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return EXIT_OK


# ---- features -----------------------------------------------------------------------------
def cmd_features(args: argparse.Namespace) -> int:
    from lcfeat.features.docs import features_markdown
    from lcfeat.features.registry import FEATURES

    if args.format == "markdown":
        sys.stdout.write(features_markdown())
        return EXIT_OK
    if args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["name", "domain", "unit", "definition", "reference"])
        for f in FEATURES:
            writer.writerow([f.name, f.domain, f.unit, f.definition, f.reference])
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"lcfeat features ({len(FEATURES)})", show_lines=False)
    for column in ("name", "domain", "unit", "definition"):
        table.add_column(column, overflow="fold")
    for f in FEATURES:
        table.add_row(f.name, f.domain, f.unit, f.definition)
    Console(width=max(120, Console().width)).print(table)
    return EXIT_OK


# ---- status -------------------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    from lcfeat.features.registry import DOMAINS, names_in

    store = _open_store(args.db)
    status = store.status()
    print(f"database {store.url}")
    print(f"  done     {status.done}")
    print(f"  failed   {status.failed}")
    print(f"  pending  {status.pending}")
    for reason, count in sorted(status.failures_by_reason.items(), key=lambda kv: -kv[1]):
        print(f"  failed by {reason}: {count}")
    warnings: list[str] = []
    if status.done:
        print("fill rate by domain (non-NULL share of done targets):")
        for domain in DOMAINS:
            rates = [status.fill_rate[name] for name in names_in(domain)]
            print(f"  {domain:<12} {100 * sum(rates) / len(rates):6.1f}%")
        for name, rate in status.fill_rate.items():
            if rate < 0.95:
                warnings.append(f"{name} is NULL for {100 * (1 - rate):.1f}% of done targets")
        if status.mean_stat_mean is not None and abs(status.mean_stat_mean - 1) > 1e-3:
            warnings.append(f"mean stat_mean is {status.mean_stat_mean:.6f}, not 1 +- 1e-3: "
                            "check the normalisation")
    if status.last_update is not None and status.pending:
        idle = datetime.now(UTC) - status.last_update
        if idle > timedelta(minutes=args.stall_minutes):
            warnings.append(f"no target finished in the last {idle.total_seconds() / 60:.0f} "
                            f"minutes with {status.pending} pending: is the run stalled?")
    for message in warnings:
        print(f"WARNING: {message}")
    store.close()
    return EXIT_OK


# ---- db upgrade, provenance ---------------------------------------------------------------
def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from lcfeat.store import Store
    from lcfeat.store.schema import SCHEMA_VERSION

    store = Store.connect(args.db)
    before = store.stored_schema_version()
    statements = store.upgrade()
    for statement in statements:
        print(statement + ";")
    print(f"{store.url}: schema version {before if before is not None else 'none'} -> "
          f"{SCHEMA_VERSION}, {len(statements)} statement(s) run")
    store.close()
    return EXIT_OK


def cmd_provenance(args: argparse.Namespace) -> int:
    from lcfeat.provenance import describe_run, load_runs
    from lcfeat.store import Store

    store = Store.connect(args.db)  # read only: no table is created for a mistyped URL
    runs = load_runs(store, args.run_id)
    if not runs:
        raise ConfigurationError(
            f"no run {args.run_id!r} in {store.url} (`lcfeat provenance --all` lists them)"
            if args.run_id else f"no runs recorded in {store.url}")
    if args.run_id is None and not args.all:
        runs = runs[:1]
    print("\n\n".join(describe_run(run) for run in runs))
    store.close()
    return EXIT_OK


def cmd_validate_injections(args: argparse.Namespace) -> int:
    from lcfeat.search.injection import main as validate

    return validate(args.options)


# ---- parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lcfeat",
        description="Kepler long-cadence light curves to a table of 63 features per star.",
    )
    parser.add_argument("--version", action="version", version=f"lcfeat {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="fetch, extract and store features for many targets")
    run.add_argument("--targets", help="KIC ids separated by commas, a text file (one id per "
                     "line), a CSV with a target_id or kepid column, or a preset name; default: "
                     "every target of a local --archive folder")
    run.add_argument("--archive", default=_env("ARCHIVE"),
                     help="MAST (default), an http(s) URL of a MAST-layout tree, a local "
                          "mirror folder or a lightkurve cache ($LCFEAT_ARCHIVE)")
    run.add_argument("--cache", default=_env("CACHE"),
                     help="download cache folder ($LCFEAT_CACHE; default: the user cache)")
    _add_db(run)
    run.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                     help="extraction processes (default: one per core)")
    run.add_argument("--io-concurrency", type=positive_int, default=16,
                     help="concurrent downloads (default 16)")
    run.add_argument("--batch-size", type=positive_int, default=50,
                     help="targets per committed batch (default 50)")
    run.add_argument("--target-timeout", type=positive_float, default=600.0,
                     help="seconds before a target's local worker is stopped (default 600)")
    run.add_argument("--quality", default="default",
                     help="quality mask: default (lightkurve default + rolling band), hard, "
                          "hardest, none, or an integer bitmask")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--force", action="store_true", help="recompute targets already done")
    mode.add_argument("--retry-failed", action="store_true",
                      help="rerun only the targets that failed before")
    run.add_argument("--label", help="a label stored with the run's provenance")
    run.add_argument("--executor", choices=("local", "dask"), default="local",
                     help="local worker processes (default) or a Dask cluster")
    run.add_argument("--dask-scheduler", help="tcp://HOST:PORT of a Dask scheduler")
    run.add_argument("--quiet", action="store_true", help="no progress bar, warnings only")
    run.add_argument("--log-file", help="also write a detailed log to this file")
    run.set_defaults(handler=cmd_run)

    extract = sub.add_parser("extract", help="features of one target from its quarter files")
    extract.add_argument("files", nargs="+", help="kplr*_llc.fits files of one target")
    extract.add_argument("--format", choices=("json", "csv"), default="json")
    extract.add_argument("--quality", default="default", help="quality mask (see run)")
    extract.set_defaults(handler=cmd_extract)

    features = sub.add_parser("features", help="the feature registry")
    features.add_argument("--format", choices=("table", "markdown", "csv"), default="table")
    features.set_defaults(handler=cmd_features)

    status = sub.add_parser("status", help="done, failed and pending targets; health checks")
    _add_db(status)
    status.add_argument("--stall-minutes", type=positive_float, default=30.0,
                        help="warn when no target finished for this long (default 30)")
    status.set_defaults(handler=cmd_status)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="add missing lcfeat columns, set schema version")
    _add_db(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)

    provenance = sub.add_parser("provenance", help="how a table was made: one run or the last")
    provenance.add_argument("run_id", nargs="?", help="run id (or a prefix); default: latest")
    provenance.add_argument("--all", action="store_true", help="every run, newest first")
    _add_db(provenance)
    provenance.set_defaults(handler=cmd_provenance)

    injections = sub.add_parser(
        "validate-injections", add_help=False,
        help="inject batman transits into real light curves; completeness by SNR")
    injections.add_argument("options", nargs=argparse.REMAINDER,
                            help="see `lcfeat validate-injections --help`")
    injections.set_defaults(handler=cmd_validate_injections)

    for module, function in (("lcfeat.archive.cli", "add_archive_commands"),
                             ("lcfeat.analysis_cli", "add_analysis_commands"),
                             ("lcfeat.export", "add_export_commands")):
        _add_optional_commands(sub, module, function)
    return parser


def _add_optional_commands(sub: Any, module: str, function: str) -> None:
    import importlib

    try:
        adder = getattr(importlib.import_module(module), function)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return
    adder(sub)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["validate-injections"]:  # its own parser, options included (--help)
        from lcfeat.search.injection import main as validate

        return validate(words[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = ["lcfeat", *(sys.argv[1:] if argv is None else argv)]
    setup_logging(quiet=getattr(args, "quiet", False), log_file=getattr(args, "log_file", None),
                  debug=args.debug)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ConfigurationError as exc:
        if args.debug:
            raise
        print(f"lcfeat: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LcfeatError as exc:
        if args.debug:
            raise
        print(f"lcfeat: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if args.command != "extract" else EXIT_FAILED_TARGETS
    except (OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"lcfeat: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

