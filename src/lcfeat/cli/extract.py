"""`lcfeat extract`: the features of one target from its quarter files."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from lcfeat.cli.common import EXIT_OK, quality_setting


def register(sub: Any) -> None:
    extract = sub.add_parser("extract", help="features of one target from its quarter files")
    extract.add_argument("files", nargs="+",
                         help="kplr*_llc.fits files of one Kepler target, or TESS SPOC light "
                              "curves (tess*_lc.fits, hlsp_tess-spoc_*_lc.fits) of one TESS "
                              "target: the mission is read from each file's header")
    extract.add_argument("--format", choices=("json", "csv"), default="json")
    extract.add_argument("--quality", default="default", help="quality mask (see run)")
    extract.set_defaults(handler=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    from lcfeat.features.extract import extract_features
    from lcfeat.lightcurve import read_light_curve

    row = extract_features(read_light_curve(args.files, quality=quality_setting(args.quality)))
    periods = "sectors" if row.mission == "tess" else "quarters"
    record: dict[str, Any] = {"target_id": row.target_id, **row.values, **row.extras,
                              "n_points": row.n_points, periods: list(row.quarters),
                              "extraction_time_seconds": round(row.extraction_seconds, 4)}
    if args.format == "json":
        record["null_reasons"] = row.null_reasons
        json.dump(record, sys.stdout, indent=2, allow_nan=False)
        print()
    else:
        record[periods] = ",".join(map(str, row.quarters))
        writer = csv.DictWriter(sys.stdout, fieldnames=list(record))
        writer.writeheader()
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return EXIT_OK
