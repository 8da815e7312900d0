"""`lcfeat db upgrade`: add lcfeat's own columns to an existing (deployed) database."""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import EXIT_OK, add_db_option, open_store


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="add missing lcfeat columns, set schema version")
    add_db_option(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from lcfeat.store.schema import SCHEMA_VERSION

    store = open_store(args.db, prepare=False)
    before = store.stored_schema_version()
    statements = store.upgrade()
    for statement in statements:
        print(statement + ";")
    print(f"{store.url}: schema version {before if before is not None else 'none'} -> "
          f"{SCHEMA_VERSION}, {len(statements)} statement(s) run")
    store.close()
    return EXIT_OK
