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
    add_catalog_option(analyze)
    analyze.set_defaults(handler=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    import pandas as pd
    from sqlalchemy.engine import make_url

    from lcfeat.study.analysis import analysis_targets, analyze, attach_covariates, load_tables
    from lcfeat.study.report import write_report
    from lcfeat.targets.catalog import load_catalog

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
