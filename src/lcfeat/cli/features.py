"""`lcfeat features`: the registry as a table, Markdown or CSV."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from lcfeat.cli.common import EXIT_OK


def register(sub: Any) -> None:
    features = sub.add_parser("features", help="the feature registry")
    features.add_argument("--format", choices=("table", "markdown", "csv"), default="table")
    features.set_defaults(handler=cmd_features)


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
