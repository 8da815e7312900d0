"""The `lcfeat` command: the library seen from the shell.

One module per command (`lcfeat analyze` is `lcfeat.cli.analyze`), each with a
`register(subparsers)` that adds its parser and sets `handler`, a thin wrapper over a library
call. Commands import what they need inside their handler, so `lcfeat --help` stays fast.
Exit codes: `lcfeat.cli.common.EXIT_*`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lcfeat.cli import (
    analyze,
    cache,
    catalog,
    db,
    export,
    extract,
    features,
    fetch,
    plot,
    provenance,
    run,
    select,
    status,
    validate_injections,
)
from lcfeat.cli.common import EXIT_FAILED_TARGETS, EXIT_INTERRUPTED, EXIT_USAGE, setup_logging
from lcfeat.errors import ConfigurationError, LcfeatError
from lcfeat.version import __version__

#: Every command, in the order `lcfeat --help` lists them.
COMMANDS = (run, extract, plot, features, status, db, provenance, validate_injections, fetch,
            cache, select, analyze, catalog, export)
#: Commands about one star: a star that cannot be read is a failed target (exit 1).
ONE_TARGET_COMMANDS = ("extract", "plot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lcfeat",
        description="Kepler long-cadence light curves to a table of 63 features per star.",
    )
    parser.add_argument("--version", action="version", version=f"lcfeat {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(words)
    args.argv = ["lcfeat", *words]
    setup_logging(quiet=getattr(args, "quiet", False), log_file=getattr(args, "log_file", None),
                  debug=args.debug)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ConfigurationError as exc:
        if args.debug:
            raise
        print(f"lcfeat: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LcfeatError as exc:
        if args.debug:
            raise
        print(f"lcfeat: error: {exc}", file=sys.stderr)
        return EXIT_FAILED_TARGETS if args.command in ONE_TARGET_COMMANDS else EXIT_USAGE
    except (OSError, ValueError) as exc:
        if args.debug:
            raise
        print(f"lcfeat: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
