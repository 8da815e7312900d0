"""`lcfeat provenance`: how a table was made, one run or the last."""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import EXIT_OK, add_db_option, open_store
from lcfeat.errors import ConfigurationError


def register(sub: Any) -> None:
    provenance = sub.add_parser("provenance", help="how a table was made: one run or the last")
    provenance.add_argument("run_id", nargs="?", help="run id (or a prefix); default: latest")
    provenance.add_argument("--all", action="store_true", help="every run, newest first")
    add_db_option(provenance)
    provenance.set_defaults(handler=cmd_provenance)


def cmd_provenance(args: argparse.Namespace) -> int:
    from lcfeat.store.provenance import describe_run, load_runs

    store = open_store(args.db, prepare=False)  # read only: no table for a mistyped URL
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
