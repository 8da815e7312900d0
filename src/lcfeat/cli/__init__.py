"""The `lcfeat` command: the library seen from the shell.

One module per command (`lcfeat analyze` is `lcfeat.cli.analyze`), each with a
`register(subparsers)` that adds its parser and sets `handler`, a thin wrapper over a library
call. Commands import what they need inside their handler, so `lcfeat --help` stays fast.
Exit codes: `lcfeat.cli.common.EXIT_*`. No error a user can cause prints a traceback (only
`--debug` shows them); SIGTERM stops a command as Ctrl-C does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

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
    try:
        with stop_on_termination():
            setup_logging(quiet=getattr(args, "quiet", False),
                          log_file=getattr(args, "log_file", None), debug=args.debug)
            return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of the output went away (`lcfeat status | head`)
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED_TARGETS
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
        print(f"lcfeat: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug: one line, the traceback only with --debug
        if args.debug:
            raise
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"lcfeat: error: unexpected {type(exc).__name__}: {_one_line(exc)} (at "
              f"{Path(where.filename).name}:{where.lineno}; --debug shows the traceback)",
              file=sys.stderr)
        return EXIT_FAILED_TARGETS


def _one_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an error's message, cut to `limit` characters."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


@contextlib.contextmanager
def stop_on_termination() -> Iterator[None]:
    """SIGTERM (what SLURM, Kubernetes and `timeout` send) stops a command as Ctrl-C does:
    KeyboardInterrupt, so a run commits what it finished and marks itself interrupted. A
    repeated SIGTERM while it stops is ignored (the stop is under way)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    stopping = False

    def terminate(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
