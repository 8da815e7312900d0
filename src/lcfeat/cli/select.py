"""`lcfeat select`: draw a validation set of planet hosts and quiet stars."""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import add_catalog_option, non_negative_int, positive_float, positive_int


def register(sub: Any) -> None:
    from lcfeat.study.strata import MAX_QUIET_CDPP6_PPM, STRATA

    strata = "; ".join(s.describe() for s in STRATA)
    select = sub.add_parser(
        "select",
        help="draw a validation set of planet hosts and quiet stars",
        description=(
            "Draw planet hosts (a CONFIRMED planet) and quiet stars (no KOI, not a known "
            "eclipsing binary, 6-hour CDPP at most --max-cdpp) in two strata: "
            f"{strata}. The same seed and catalog give the same list; when the catalog has "
            "too few stars of a kind the command says how many it found and writes nothing."
        ),
    )
    select.add_argument("--n-quiet", type=positive_int, default=900,
                        help="quiet stars to draw (default 900)")
    select.add_argument("--n-hosts", type=positive_int, default=100,
                        help="planet hosts to draw (default 100)")
    select.add_argument("--seed", type=non_negative_int, default=0,
                        help="random seed (default 0)")
    select.add_argument("--max-cdpp", type=positive_float, default=MAX_QUIET_CDPP6_PPM,
                        help="quietness limit: largest 6-hour CDPP of a quiet star in ppm "
                             f"(default {MAX_QUIET_CDPP6_PPM:g})")
    select.add_argument("-o", "--output", default="targets.csv",
                        help="CSV to write (default targets.csv); a <name>.selection.txt "
                             "beside it records the criteria and counts")
    add_catalog_option(select)
    select.set_defaults(handler=cmd_select)


def cmd_select(args: argparse.Namespace) -> int:
    from lcfeat.study.selection import select_validation_set
    from lcfeat.targets.catalog import load_catalog

    catalog = load_catalog(args.catalog)
    selection = select_validation_set(
        catalog, n_quiet=args.n_quiet, n_hosts=args.n_hosts, seed=args.seed,
        max_cdpp6_ppm=args.max_cdpp,
    )
    sidecar = selection.write(args.output)
    print(selection.report())
    print(f"wrote {len(selection.targets)} targets to {args.output} (criteria and counts: "
          f"{sidecar})")
    return 0
