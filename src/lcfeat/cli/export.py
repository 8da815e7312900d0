"""`lcfeat export`: a table as Parquet (units in the schema) or CSV (+ data dictionary)."""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import DEFAULT_DB, EXIT_OK, env, open_store


def register(sub: Any) -> None:
    from lcfeat.store.records import EXPORTABLE_TABLES, FORMATS

    export = sub.add_parser(
        "export", help="a table as Parquet (units in the schema) or CSV (+ data dictionary)")
    export.add_argument(
        "--db", default=env("DB", DEFAULT_DB),
        help=f"SQLAlchemy URL of the store (default {DEFAULT_DB}, or $LCFEAT_DB)")
    export.add_argument("--format", choices=FORMATS,
                        help="parquet or csv (default: from the file name, else parquet)")
    export.add_argument("-o", "--output", required=True, help="file to write")
    export.add_argument("--table", choices=EXPORTABLE_TABLES, default="features",
                        help="table to export (default features)")
    export.add_argument("--run", help="only rows written by this run id (or a prefix)")
    export.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from lcfeat.store.export import export_table

    store = open_store(args.db, prepare=False)
    try:
        result = export_table(store, args.output, args.format, args.table, args.run)
    finally:
        store.close()
    print(f"{result.rows} rows x {result.columns} columns of {args.table} -> {result.path}")
    if result.dictionary is not None:
        print(f"units and definitions of the columns -> {result.dictionary}")
    return EXIT_OK
