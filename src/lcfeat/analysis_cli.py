"""`lcfeat select`, `lcfeat analyze` and `lcfeat catalog ...`: parse, call the library, print.

Imports of the heavy libraries (pandas, scikit-learn, matplotlib) happen inside the handlers,
so building the `lcfeat` parser stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from lcfeat.cli_types import DEFAULT_DB, non_negative_int, positive_float, positive_int


def _add_catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        help="'bundled' (the offline snapshot), or a folder written by `lcfeat catalog "
             "update`; default: the downloaded catalog in $LCFEAT_CATALOG or the user data "
             "folder if there is one, else the bundled snapshot",
    )


def add_analysis_commands(subparsers: Any) -> None:
    """Add `select`, `analyze` and `catalog` to the `lcfeat` sub-command parsers."""
    from lcfeat.strata import MAX_QUIET_CDPP6_PPM, STRATA

    strata = "; ".join(s.describe() for s in STRATA)
    select = subparsers.add_parser(
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
    _add_catalog_option(select)
    select.set_defaults(handler=cmd_select)

    analyze = subparsers.add_parser(
        "analyze",
        help="compare planet hosts with quiet stars, feature by feature; HTML report",
        description=(
            "Per feature: both groups' medians, KS statistic and p-value, ROC AUC of the "
            "feature alone, Benjamini-Hochberg q-values; a cross-validated gradient-boosting "
            "baseline; a comparison matched on Kepler magnitude, Teff and CDPP. Writes "
            "index.html (opens offline), summary.csv and PNG figures."
        ),
    )
    analyze.add_argument("--db", default=os.environ.get("LCFEAT_DB", DEFAULT_DB),
                         help="SQLAlchemy URL of the features database (default $LCFEAT_DB "
                              f"or {DEFAULT_DB})")
    analyze.add_argument("--targets",
                         help="CSV with target_id and label (host / quiet / nonhost), e.g. "
                              "from `lcfeat select`, or a preset name; default: the labels "
                              "stored in the database's targets table")
    analyze.add_argument("-o", "--output", default="report",
                         help="report folder (default report/)")
    analyze.add_argument("--top", type=positive_int, default=6,
                         help="features to plot (default 6, plus as many outside the "
                              "transit domain)")
    analyze.add_argument("--seed", type=non_negative_int, default=0,
                         help="seed of the cross-validation folds and permutations")
    analyze.add_argument("--permutation-repeats", type=positive_int, default=5,
                         help="shuffles per feature for the importances (default 5)")
    _add_catalog_option(analyze)
    analyze.set_defaults(handler=cmd_analyze)

    catalog = subparsers.add_parser("catalog", help="the KOI and stellar catalog")
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
    _add_catalog_option(info)
    info.set_defaults(handler=cmd_catalog_info)

    star = actions.add_parser("star", help="dispositions and stellar parameters of KIC ids")
    star.add_argument("kic", nargs="+", help="KIC ids (3342467 or 'KIC 3342467')")
    _add_catalog_option(star)
    star.set_defaults(handler=cmd_catalog_star)


# --- handlers ---------------------------------------------------------------------------------


def cmd_select(args: argparse.Namespace) -> int:
    from lcfeat.catalog import load_catalog
    from lcfeat.selection import select_validation_set

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


def _analysis_targets(spec: str | None, db_targets, catalog):
    """The targets table and the text of its selection record, if any."""
    from lcfeat.analysis import AnalysisError, read_targets_csv, targets_from_labels
    from lcfeat.catalog import PRESETS, preset_labels

    if spec is None:
        if db_targets is None or "label" not in db_targets.columns:
            raise AnalysisError(
                "no --targets given and the database has no labelled targets table: give "
                "--targets targets.csv (from `lcfeat select`) or a preset"
            )
        labelled = db_targets[db_targets["label"].notna()]
        if labelled.empty:
            raise AnalysisError("no --targets given and no target in the database has a label")
        return labelled[["target_id", "label"]].reset_index(drop=True), None
    path = Path(spec)
    if path.is_file():
        sidecar = path.with_name(path.stem + ".selection.txt")
        text = sidecar.read_text(encoding="utf-8") if sidecar.is_file() else None
        return read_targets_csv(path), text
    if spec in PRESETS:
        return targets_from_labels(preset_labels(spec), f"preset {spec}"), (
            f"preset {spec}: {PRESETS[spec]}"
        )
    raise AnalysisError(f"--targets {spec!r} is neither a file nor a preset "
                        f"({', '.join(sorted(PRESETS))})")


def cmd_analyze(args: argparse.Namespace) -> int:
    import pandas as pd
    from sqlalchemy.engine import make_url

    from lcfeat.analysis import analyze, attach_covariates, load_tables
    from lcfeat.analysis_report import write_report
    from lcfeat.catalog import load_catalog

    features, db_targets = load_tables(args.db)
    catalog = load_catalog(args.catalog)
    targets, selection_text = _analysis_targets(args.targets, db_targets, catalog)
    targets, covariate_lines = attach_covariates(targets, db_targets, catalog)
    result = analyze(features, targets, seed=args.seed,
                     permutation_repeats=args.permutation_repeats,
                     covariate_notes=covariate_lines)
    inputs = [
        f"database: {make_url(args.db).render_as_string(hide_password=True)} "
        f"({len(features)} feature rows)",
        f"targets: {args.targets or 'labels of the database targets table'} "
        f"({len(targets)} targets)",
        f"catalog for covariates: {catalog.description}",
        f"seed {args.seed}, {args.permutation_repeats} permutation repeats",
    ]
    index = write_report(result, args.output, top=args.top, inputs=inputs,
                         selection_text=selection_text)

    summary = result.summary
    print(f"{result.n_host} hosts vs {result.n_comparison} {result.comparison_name}")
    print(f"{'rank':>4}  {'feature':<32} {'q (BH)':>9} {'AUC':>6}  survives matching")
    for row in summary.head(10).itertuples():
        flag = row.survives_matching
        survives = "-" if pd.isna(flag) else ("yes" if flag else "no")
        print(f"{row.rank:>4}  {row.feature:<32} {row.ks_qvalue:>9.2e} {row.auc:>6.3f}  "
              f"{survives}")
    for classifier in result.classifiers:
        print(f"gradient boosting, {classifier.name}: out-of-fold ROC AUC {classifier.auc:.3f}")
    print("what this cannot conclude:")
    for line in result.limitations:
        print(f"  - {line}")
    print(f"report: {index}")
    return 0


def cmd_catalog_update(args: argparse.Namespace) -> int:
    from lcfeat.catalog import default_catalog_dir, update_catalog

    directory = Path(args.dir) if args.dir else default_catalog_dir()
    manifest = update_catalog(directory, timeout_s=args.timeout)
    for entry in manifest["tables"]:
        print(f"{entry['file']}: {entry['rows']} rows, sha256 {entry['sha256'][:16]}...")
    print(f"catalog written to {directory} ({manifest['downloaded_at']})")
    return 0


def cmd_catalog_info(args: argparse.Namespace) -> int:
    from lcfeat.catalog import PRESETS, load_catalog

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
    from lcfeat.analysis import normalise_target_id
    from lcfeat.catalog import load_catalog

    catalog = load_catalog(args.catalog)
    for text in args.kic:
        kic = int(normalise_target_id(text).split()[1])
        print(json.dumps(catalog.star(kic), default=str))
    return 0
