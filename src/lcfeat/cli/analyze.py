"""`lcfeat analyze`: compare planet hosts with quiet stars, feature by feature; HTML report.

pandas, scikit-learn and matplotlib are imported inside the handler, so building the `lcfeat`
parser stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import (
    DEFAULT_DB,
    add_catalog_option,
    env,
    non_negative_int,
    positive_int,
)


def register(sub: Any) -> None:
    analyze = sub.add_parser(
        "analyze",
        help="compare planet hosts with quiet stars, feature by feature; HTML report",
        description=(
            "Per feature: both groups' medians, KS statistic and p-value, ROC AUC of the "
            "feature alone, Benjamini-Hochberg q-values; a cross-validated gradient-boosting "
            "baseline; a comparison matched on Kepler magnitude, Teff and CDPP. Writes "
            "index.html (opens offline), summary.csv and PNG figures."
        ),
    )
    analyze.add_argument("--db", default=env("DB", DEFAULT_DB),
                         help="SQLAlchemy URL of the features database (default $LCFEAT_DB "
                              f"or {DEFAULT_DB})")
    analyze.add_argument("--targets",
                         help="the targets, as `lcfeat run --targets` takes them: KIC ids, a "
                              "text file, a CSV with a target_id, kepid or kic column and a "
                              "label column (host / quiet / nonhost, as `lcfeat select` "
                              "writes), or a preset; targets without a label take the one "
                              "stored in the database; default: every labelled target of the "
                              "database's targets table")
    analyze.add_argument("-o", "--output", default="report",
                         help="report folder (default report/)")
    analyze.add_argument("--top", type=positive_int, default=6,
                         help="features to plot (default 6, plus as many outside the "
                              "transit domain)")
    analyze.add_argument("--seed", type=non_negative_int, default=0,
                         help="seed of the cross-validation folds and permutations")
    analyze.add_argument("--permutation-repeats", type=positive_int, default=5,
                         help="shuffles per feature for the importances (default 5)")
    analyze.add_argument("--archive", default=env("ARCHIVE"),
                         help="where the stars' light curves are (as for `lcfeat run`: a "
                              "mirror folder, an http(s) URL, 'mast'; $LCFEAT_ARCHIVE): draws "
                              "a vetting sheet for every host and the top-scoring comparison "
                              "stars; without it the report says none were drawn")
    analyze.add_argument("--cache", default=env("CACHE"),
                         help="download cache folder ($LCFEAT_CACHE; default: the user cache)")
    analyze.add_argument("--sheets", type=non_negative_int, default=10,
                         help="comparison stars that get a vetting sheet besides every host: "
                              "the highest scoring (default 10)")
    add_catalog_option(analyze)
    analyze.set_defaults(handler=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    import pandas as pd
    from sqlalchemy.engine import make_url

    from lcfeat.study.analysis import analysis_targets, analyze, attach_covariates, load_tables
    from lcfeat.study.report import write_report
    from lcfeat.targets.catalog import load_catalog

    if args.archive:  # a wrong --archive is a usage error, found before the analysis
        from lcfeat.archive import cache_dir_from, open_archive

        open_archive(args.archive, cache_dir_from(args.cache))
    features, db_targets = load_tables(args.db)
    catalog = load_catalog(args.catalog)
    targets, selection_text = analysis_targets(args.targets, db_targets)
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
    sheets, sheets_note = _vetting_sheets(args, result, features, catalog)
    index = write_report(result, args.output, top=args.top, inputs=inputs,
                         selection_text=selection_text, sheets=sheets, sheets_note=sheets_note)

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
    if sheets_note:
        print(sheets_note)
    print(f"report: {index}")
    return 0


def _vetting_sheets(args: argparse.Namespace, result: Any, features: Any, catalog: Any
                    ) -> tuple[list[tuple[str, str, str]], str | None]:
    """Sheets of every host and the top comparison stars into <report>/sheets, when the
    light curves are reachable: (target id, file, why chosen) and a note on what is missing."""
    from pathlib import Path

    from lcfeat.study.analysis import vetting_targets
    from lcfeat.study.sheet import sheet_filename, write_sheets

    chosen = vetting_targets(result, args.sheets)
    if not args.archive:
        return [], (f"No vetting sheets: the light curves are not reachable without --archive "
                    f"(the mirror, cache or URL the run read); {len(chosen)} stars would get "
                    "one (every host and the top-scoring comparison stars).")
    stored = features.drop_duplicates("target_id").set_index("target_id")
    rows, why = {}, {}
    for target_id, reason in chosen:
        kepler_id = int(target_id.split()[1])
        row = stored.loc[target_id].to_dict()
        rows[kepler_id] = {k: v for k, v in row.items() if not (isinstance(v, float) and v != v)}
        why[kepler_id] = reason
    written, problems = write_sheets(
        rows, Path(args.output) / "sheets", archive=args.archive, cache=args.cache,
        catalog=catalog, notes={k: f"chosen as {w}; numbers: stored row" for k, w in why.items()})
    sheets = [(f"KIC {k}", f"sheets/{sheet_filename(k)}", why[k]) for k in rows if k in written]
    note = None
    if problems:
        note = (f"{len(problems)} of {len(rows)} chosen stars have no vetting sheet: "
                + "; ".join(f"KIC {k}: {message}" for k, message in problems.items()))
    print(f"vetting sheets: {len(written)} in {Path(args.output) / 'sheets'}")
    return sheets, note
