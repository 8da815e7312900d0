"""`lcfeat catalog update|info|star`: the KOI and stellar catalog."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lcfeat.cli.common import add_catalog_option, positive_float


def register(sub: Any) -> None:
    catalog = sub.add_parser("catalog", help="the KOI and stellar catalog")
    actions = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    update = actions.add_parser(
        "update",
        help="download the current KOI and DR25 stellar tables (NASA Exoplanet Archive TAP)",
        description=(
            "Fetch the cumulative KOI table and the DR25 stellar table from "
            "https://exoplanetarchive.ipac.caltech.edu/TAP/sync as CSV, check them, and store "
            "them with a manifest (query, time, SHA-256) in the catalog folder. `select` and "
            "`analyze` then use them instead of the bundled snapshot."
        ),
    )
    update.add_argument("--dir", help="folder to write (default $LCFEAT_CATALOG or the user "
                                      "data folder)")
    update.add_argument("--timeout", type=positive_float, default=300.0,
                        help="seconds per request (default 300)")
    update.set_defaults(handler=cmd_catalog_update)

    info = actions.add_parser("info", help="which catalog is in use, its counts, the presets")
    add_catalog_option(info)
    info.set_defaults(handler=cmd_catalog_info)

    star = actions.add_parser("star", help="dispositions and stellar parameters of KIC ids")
    star.add_argument("kic", nargs="+", help="KIC ids (3342467 or 'KIC 3342467')")
    add_catalog_option(star)
    star.set_defaults(handler=cmd_catalog_star)


def cmd_catalog_update(args: argparse.Namespace) -> int:
    from lcfeat.targets.catalog import default_catalog_dir, update_catalog

    directory = Path(args.dir) if args.dir else default_catalog_dir()
    manifest = update_catalog(directory, timeout_s=args.timeout)
    for entry in manifest["tables"]:
        print(f"{entry['file']}: {entry['rows']} rows, sha256 {entry['sha256'][:16]}...")
    print(f"catalog written to {directory} ({manifest['downloaded_at']})")
    return 0


def cmd_catalog_info(args: argparse.Namespace) -> int:
    from lcfeat.targets.catalog import PRESETS, load_catalog

    catalog = load_catalog(args.catalog)
    dispositions = catalog.kois.groupby("koi_disposition")["kepid"].nunique()
    print(f"catalog: {catalog.description}")
    print(f"KOIs: {len(catalog.kois)} on {len(catalog.koi_kic)} stars; stars per disposition: "
          + ", ".join(f"{d} {n}" for d, n in dispositions.items()))
    print(f"stars with stellar parameters: {len(catalog.stars)}; known eclipsing binaries: "
          f"{len(catalog.eclipsing_kic)}")
    for note in catalog.notes:
        print(f"  - {note}")
    print("presets:")
    for name, description in PRESETS.items():
        print(f"  {name}: {description}")
    return 0


def cmd_catalog_star(args: argparse.Namespace) -> int:
    from lcfeat.targets.catalog import load_catalog
    from lcfeat.targets.ids import parse_kic

    catalog = load_catalog(args.catalog)
    for text in args.kic:
        kic = parse_kic(text)
        print(json.dumps(catalog.star(kic), default=str))
    return 0
