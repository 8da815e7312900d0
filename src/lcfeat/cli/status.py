"""`lcfeat status`: done, failed and pending targets, fill rate per domain, health warnings."""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import EXIT_OK, add_db_option, open_store, positive_float

#: Unfinished runs (running or abandoned) listed by `lcfeat status`.
MAX_LISTED_RUNS = 10


def register(sub: Any) -> None:
    from lcfeat.store.health import STALL_MINUTES

    status = sub.add_parser("status", help="done, failed and pending targets; health checks")
    add_db_option(status)
    status.add_argument("--stall-minutes", type=positive_float, default=STALL_MINUTES,
                        help=f"warn when no target finished for this long "
                             f"(default {STALL_MINUTES:g})")
    status.set_defaults(handler=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    from lcfeat.store.health import domain_fill_rates, health_warnings
    from lcfeat.store.provenance import load_runs

    store = open_store(args.db)
    status = store.status()
    print(f"database {store.url}")
    print(f"  done     {status.done}")
    print(f"  failed   {status.failed}")
    print(f"  pending  {status.pending}")
    for reason, count in sorted(status.failures_by_reason.items(), key=lambda kv: -kv[1]):
        print(f"  failed by {reason}: {count}")
    if status.done:
        print("fill rate by domain (non-NULL share of done targets):")
        for domain, rate in domain_fill_rates(status).items():
            print(f"  {domain:<12} {100 * rate:6.1f}%")
    for message in health_warnings(status, stall_minutes=args.stall_minutes):
        print(f"WARNING: {message}")
    unfinished = load_runs(store, status="running")
    for run in unfinished[:MAX_LISTED_RUNS]:
        started = run["started_at"].strftime("%Y-%m-%d %H:%M UTC") if run.get(
            "started_at") else "-"
        print(f"run {run['run_id']} (started {started}) {run['state']}: {run['state_note']}")
    if len(unfinished) > MAX_LISTED_RUNS:
        print(f"... and {len(unfinished) - MAX_LISTED_RUNS} more unfinished runs "
              "(lcfeat provenance --all)")
    store.close()
    return EXIT_OK
