"""Population analysis: which features separate planet hosts from quiet stars?

For every feature of the registry, on the stars of each group that have a value:

* the two groups' medians;
* the two-sample Kolmogorov-Smirnov statistic D and its p-value (`scipy.stats.ks_2samp`);
* the ROC AUC of the feature alone (`sklearn.metrics.roc_auc_score`, hosts positive): the
  probability that a random host has a larger value than a random comparison star; 0.5 is no
  separation, 0 or 1 is complete separation (below 0.5: hosts lower);
* the Benjamini-Hochberg q-value over all tested features (`statsmodels` ``fdr_bh``): a
  feature is called separating when q < `FDR_ALPHA`.

Features are ranked by q-value, then by |AUC - 0.5|, then by name.

Then a cross-validated baseline classifier (`sklearn` HistGradientBoostingClassifier, which
takes NULLs as NaN natively): stratified k-fold, out-of-fold ROC AUC, and permutation
importances (drop in AUC when one feature is shuffled in the held-out fold), once with every
feature and once without the transit domain, which separates hosts by construction.

Known hosts are brighter and quieter than field stars, so a separation can come from how the
groups were chosen. `match_groups` pairs each host with one comparison star of similar Kepler
magnitude, Teff and CDPP (those known for most of both groups), and the tests are repeated on
the matched pairs: a separation "survives" when it is significant in both the full and the
matched sample, on the same side. Everything that limits a conclusion is collected in
`AnalysisResult.limitations` and printed at the top of the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.stats import ks_2samp, rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from statsmodels.stats.multitest import multipletests
from threadpoolctl import threadpool_limits

from lcfeat.errors import ConfigurationError, LcfeatError
from lcfeat.features.registry import BY_NAME, FEATURE_NAMES
from lcfeat.targets.ids import format_target_id, normalise_target_id

HOST = "host"
#: Labels a targets list may carry; every label but 'host' forms the comparison group.
KNOWN_LABELS = ("host", "quiet", "nonhost")

#: Below this many stars in either group, the report says the sample is too small to conclude.
MIN_GROUP_SIZE = 20
#: False-discovery rate of the Benjamini-Hochberg procedure.
FDR_ALPHA = 0.05
#: The classifier needs this many stars of the smaller group (one per fold, five folds).
MIN_CLASSIFIER_GROUP = 5
MAX_FOLDS = 5
#: Domains whose separation is built into the selection (hosts have detected transits).
BY_CONSTRUCTION_DOMAINS = ("transit",)
#: A gap in the NULL fraction between groups larger than this is reported.
MISSINGNESS_GAP = 0.10

#: Covariates of the matched comparison: column -> description.
MATCH_COVARIATES: dict[str, str] = {
    "kepmag": "Kepler magnitude",
    "st_teff": "Teff (K)",
    "cdpp6_ppm": "6-hour CDPP (ppm)",
}
#: A covariate is matched on only when known for at least this fraction of each group.
MIN_COVARIATE_COVERAGE = 0.8
#: A pair is kept when every matched covariate differs by at most this many pooled standard
#: deviations (the 0.25 SD caliper of Rosenbaum & Rubin 1985).
CALIPER_SD = 0.25
#: |standardised mean difference| below this counts as balanced (Austin 2009).
BALANCED_SMD = 0.1


class AnalysisError(LcfeatError):
    """Inputs that cannot be analysed as given."""


# --- loading ----------------------------------------------------------------------------------


def _engine(db_url: str):
    from lcfeat.store.database import make_engine

    return make_engine(db_url)  # the URLs lcfeat writes to; ConfigurationError otherwise


def _sample_variance(values: np.ndarray) -> float:
    """np.nanvar(values, ddof=1), NaN for fewer than two values instead of a warning."""
    known = values[~np.isnan(values)]
    if known.size < 2:
        return math.nan
    with np.errstate(invalid="ignore"):  # an infinite value gives NaN, as in nanvar
        return float(np.var(known, ddof=1))


def load_tables(db_url: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The `features` table and, when present, the `targets` table of a database."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    engine = _engine(db_url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        names = set(inspect(engine).get_table_names())
        if "features" not in names:
            raise ConfigurationError(
                f"{shown} has no 'features' table: run `lcfeat run` first"
            )
        features = pd.read_sql_table("features", engine)
        targets = pd.read_sql_table("targets", engine) if "targets" in names else None
    except SQLAlchemyError as exc:
        raise ConfigurationError(f"cannot read {shown}: {exc}") from exc
    finally:
        engine.dispose()
    missing = [name for name in FEATURE_NAMES if name not in features.columns]
    if missing:
        raise ConfigurationError(
            f"the features table of {shown} lacks {len(missing)} registry column(s), e.g. "
            f"{', '.join(missing[:5])}: run `lcfeat db upgrade`"
        )
    features = features.assign(target_id=features["target_id"].map(normalise_target_id))
    if targets is not None:
        targets = targets.assign(target_id=targets["target_id"].map(normalise_target_id))
    return features, targets


def _checked_targets(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["target_id"] = frame["target_id"].map(normalise_target_id)
    frame["label"] = frame["label"].astype(str).str.strip().str.lower()
    unknown = sorted(set(frame["label"]) - set(KNOWN_LABELS))
    if unknown:
        raise AnalysisError(
            f"{where}: unknown label(s) {', '.join(unknown)}; expected {', '.join(KNOWN_LABELS)}"
        )
    duplicated = frame["target_id"][frame["target_id"].duplicated()].unique()
    if len(duplicated):
        raise AnalysisError(f"{where}: target(s) listed twice: {', '.join(duplicated[:5])}")
    return frame.reset_index(drop=True)


def analysis_targets(spec: str | None, db_targets: pd.DataFrame | None
                     ) -> tuple[pd.DataFrame, str | None]:
    """The targets table (target_id, label and the list's other columns) and the text of its
    selection record, if any.

    `spec` is read as `lcfeat run --targets` reads it (`lcfeat.targets.lists.read_targets`);
    targets the list gives no label take the one of the database's targets table. Without
    `spec`, the labelled targets of the database."""
    from lcfeat.targets.catalog import PRESETS
    from lcfeat.targets.lists import read_targets

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
    targets = read_targets(spec)
    frame = pd.DataFrame([
        {"target_id": format_target_id(k),
         **{name: value or None for name, value in targets.columns.get(k, {}).items()},
         "label": targets.labels.get(k)}
        for k in targets.ids
    ])
    unlabelled = frame["label"].isna()
    if unlabelled.any() and db_targets is not None and "label" in db_targets.columns:
        stored = db_targets.dropna(subset=["label"]).set_index("target_id")["label"]
        frame.loc[unlabelled, "label"] = frame.loc[unlabelled, "target_id"].map(stored)
        unlabelled = frame["label"].isna()
    if unlabelled.any():
        examples = ", ".join(frame.loc[unlabelled, "target_id"].head(3))
        raise AnalysisError(
            f"{targets.source}: {int(unlabelled.sum())} of {len(frame)} targets have no label "
            f"(host / quiet / nonhost) in the list or the database, e.g. {examples}: give a "
            "CSV with a label column (as `lcfeat select` writes)"
        )
    text = None
    path = Path(spec)
    if path.is_file():
        sidecar = path.with_name(path.stem + ".selection.txt")
        text = sidecar.read_text(encoding="utf-8") if sidecar.is_file() else None
    elif spec in PRESETS:
        text = f"preset {spec}: {PRESETS[spec]}"
    return _checked_targets(frame, targets.source), text


def attach_covariates(
    targets: pd.DataFrame,
    db_targets: pd.DataFrame | None = None,
    catalog=None,
) -> tuple[pd.DataFrame, list[str]]:
    """Fill Kepler magnitude, Teff and CDPP per target: the targets list first, then the
    database's `targets` table (st_teff, st_cdpp6_0), then the catalog. Returns the table and
    one line per covariate saying where its values came from."""
    targets = targets.copy()
    for column in MATCH_COVARIATES:
        if column not in targets.columns:
            targets[column] = np.nan
        targets[column] = pd.to_numeric(targets[column], errors="coerce")
    sources: dict[str, dict[str, int]] = {c: {} for c in MATCH_COVARIATES}
    for column in MATCH_COVARIATES:
        sources[column]["targets list"] = int(targets[column].notna().sum())
    if db_targets is not None:
        by_id = db_targets.set_index("target_id")
        for column, db_column in (("st_teff", "st_teff"), ("cdpp6_ppm", "st_cdpp6_0")):
            if db_column in by_id.columns:
                before = targets[column].notna().sum()
                values = pd.to_numeric(targets["target_id"].map(by_id[db_column]), errors="coerce")
                targets[column] = targets[column].fillna(values)
                sources[column]["database targets table"] = int(
                    targets[column].notna().sum() - before
                )
    if catalog is not None:
        kics = [int(t.split()[1]) for t in targets["target_id"]]
        params = catalog.parameters(kics)
        for column, catalog_column in (("kepmag", "kepmag"), ("st_teff", "teff"),
                                       ("cdpp6_ppm", "cdpp6_ppm")):
            before = targets[column].notna().sum()
            targets[column] = targets[column].fillna(
                pd.Series(params[catalog_column].to_numpy(dtype=float), index=targets.index)
            )
            sources[column]["catalog"] = int(targets[column].notna().sum() - before)
    lines = []
    for column, title in MATCH_COVARIATES.items():
        parts = [f"{n} from the {source}" for source, n in sources[column].items() if n]
        known = int(targets[column].notna().sum())
        lines.append(
            f"{title}: known for {known} of {len(targets)} targets"
            + (f" ({', '.join(parts)})" if parts else "")
        )
    return targets, lines


# --- per-feature statistics -------------------------------------------------------------------


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def feature_tests(values: pd.DataFrame, is_host: np.ndarray) -> pd.DataFrame:
    """Medians, KS and single-feature AUC per column of `values`, BH q-values, and the rank.

    `values` holds one row per star and one float column per feature (NaN = NULL); `is_host`
    is the boolean group of each row.
    """
    is_host = np.asarray(is_host, dtype=bool)
    rows = []
    for name in values.columns:
        column = values[name].to_numpy(dtype=float)
        host, other = column[is_host], column[~is_host]
        host_ok, other_ok = _finite(host), _finite(other)
        row = {
            "feature": name,
            "domain": BY_NAME[name].domain if name in BY_NAME else "",
            "unit": BY_NAME[name].unit if name in BY_NAME else "",
            "n_host": host_ok.size,
            "n_comparison": other_ok.size,
            "null_fraction_host": 1.0 - host_ok.size / host.size if host.size else math.nan,
            "null_fraction_comparison": (
                1.0 - other_ok.size / other.size if other.size else math.nan
            ),
            "median_host": float(np.median(host_ok)) if host_ok.size else math.nan,
            "median_comparison": float(np.median(other_ok)) if other_ok.size else math.nan,
            "ks_statistic": math.nan,
            "ks_pvalue": math.nan,
            "auc": math.nan,
        }
        if host_ok.size >= 1 and other_ok.size >= 1 and host_ok.size + other_ok.size >= 3:
            ks = ks_2samp(host_ok, other_ok)
            row["ks_statistic"] = float(ks.statistic)
            row["ks_pvalue"] = float(ks.pvalue)
            labels = np.concatenate([np.ones(host_ok.size), np.zeros(other_ok.size)])
            row["auc"] = float(roc_auc_score(labels, np.concatenate([host_ok, other_ok])))
        rows.append(row)
    table = pd.DataFrame(rows)
    tested = table["ks_pvalue"].notna()
    table["ks_qvalue"] = math.nan
    if tested.any():
        table.loc[tested, "ks_qvalue"] = multipletests(
            table.loc[tested, "ks_pvalue"].to_numpy(), alpha=FDR_ALPHA, method="fdr_bh"
        )[1]
    table["separates"] = table["ks_qvalue"] < FDR_ALPHA
    table["_strength"] = (table["auc"] - 0.5).abs()
    table = table.sort_values(
        ["ks_qvalue", "_strength", "feature"], ascending=[True, False, True],
        na_position="last", kind="stable",
    ).drop(columns="_strength")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)


# --- matched comparison -----------------------------------------------------------------------


def standardised_mean_difference(host: np.ndarray, other: np.ndarray) -> float:
    """(mean_host - mean_other) / sqrt((var_host + var_other) / 2), sample variances."""
    host, other = _finite(host), _finite(other)
    if host.size < 2 or other.size < 2:
        return math.nan
    pooled = math.sqrt((np.var(host, ddof=1) + np.var(other, ddof=1)) / 2.0)
    if pooled == 0.0:
        return 0.0 if np.mean(host) == np.mean(other) else math.inf
    return float((np.mean(host) - np.mean(other)) / pooled)


@dataclass
class MatchResult:
    """Host/comparison pairs (row positions) and the covariate balance before and after."""

    pairs: list[tuple[int, int]]
    balance: pd.DataFrame
    covariates: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def matched_rows(self) -> np.ndarray:
        return np.array(sorted(i for pair in self.pairs for i in pair), dtype=int)


def match_groups(covariates: pd.DataFrame, is_host: np.ndarray) -> MatchResult:
    """Optimal 1:1 matching of hosts to comparison stars on the usable covariates.

    A covariate is used when known for at least `MIN_COVARIATE_COVERAGE` of each group. Each is
    scaled by its pooled standard deviation; the cost of a pair is the Euclidean distance in
    those units, pairs differing by more than `CALIPER_SD` in any covariate are forbidden, and
    `scipy.optimize.linear_sum_assignment` minimises the total cost (deterministic, unlike
    greedy matching, which depends on the order of the hosts).
    """
    is_host = np.asarray(is_host, dtype=bool)
    records = []
    used: list[str] = []
    for column, title in MATCH_COVARIATES.items():
        values = pd.to_numeric(covariates[column], errors="coerce").to_numpy(dtype=float)
        host, other = values[is_host], values[~is_host]
        coverage_host = float(np.isfinite(host).mean()) if host.size else 0.0
        coverage_other = float(np.isfinite(other).mean()) if other.size else 0.0
        usable = min(coverage_host, coverage_other) >= MIN_COVARIATE_COVERAGE
        if usable and _finite(values).size >= 2 and np.std(_finite(values)) == 0:
            usable = False
        if usable:
            used.append(column)
        records.append(
            {
                "covariate": column,
                "description": title,
                "known_host": coverage_host,
                "known_comparison": coverage_other,
                "mean_host": float(np.mean(_finite(host))) if _finite(host).size else math.nan,
                "mean_comparison": (
                    float(np.mean(_finite(other))) if _finite(other).size else math.nan
                ),
                "smd_before": standardised_mean_difference(host, other),
                "smd_after": math.nan,
                "matched_on": usable,
            }
        )
    balance = pd.DataFrame(records)
    notes: list[str] = []
    unusable = balance.loc[~balance["matched_on"], "description"].tolist()
    if unusable:
        notes.append(
            "not matched on " + ", ".join(unusable) + f": known for less than "
            f"{MIN_COVARIATE_COVERAGE:.0%} of one group, so any imbalance in it stays"
        )
    if not used:
        notes.append("no covariate is known for enough stars of both groups: no matching")
        return MatchResult([], balance, used, notes)

    values = covariates[used].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    complete = np.isfinite(values).all(axis=1)
    pooled = np.array([math.sqrt((_sample_variance(values[is_host, j])
                                  + _sample_variance(values[~is_host, j])) / 2.0)
                       for j in range(len(used))])
    pooled[~np.isfinite(pooled) | (pooled == 0)] = 1.0
    scaled = values / pooled
    host_rows = np.flatnonzero(is_host & complete)
    other_rows = np.flatnonzero(~is_host & complete)
    pairs: list[tuple[int, int]] = []
    if host_rows.size and other_rows.size:
        difference = np.abs(scaled[host_rows, None, :] - scaled[None, other_rows, :])
        distance = np.sqrt((difference**2).sum(axis=2))
        allowed = (difference <= CALIPER_SD).all(axis=2)
        forbidden_cost = 1e6 * (1.0 + distance.max())
        cost = np.where(allowed, distance, forbidden_cost)
        host_index, other_index = linear_sum_assignment(cost)
        pairs = [
            (int(host_rows[h]), int(other_rows[o]))
            for h, o in zip(host_index, other_index, strict=True)
            if allowed[h, o]
        ]
    n_host = int(is_host.sum())
    notes.append(
        f"matched on {', '.join(MATCH_COVARIATES[c] for c in used)}: {len(pairs)} of {n_host} "
        f"hosts found a partner within {CALIPER_SD} SD in every covariate"
    )
    if pairs:
        matched_host = np.array([h for h, _ in pairs])
        matched_other = np.array([o for _, o in pairs])
        for column in used:
            column_values = pd.to_numeric(covariates[column], errors="coerce").to_numpy(float)
            balance.loc[balance["covariate"] == column, "smd_after"] = (
                standardised_mean_difference(
                    column_values[matched_host], column_values[matched_other]
                )
            )
    return MatchResult(pairs, balance, used, notes)


# --- the baseline classifier ------------------------------------------------------------------


@dataclass
class ClassifierResult:
    name: str
    features: list[str]
    n_splits: int
    auc: float  # out-of-fold, all stars together
    fold_aucs: list[float]
    importances: pd.DataFrame  # feature, importance_mean, importance_std (AUC drop)
    out_of_fold: np.ndarray  # predicted host probability per row


def rank_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic: (rank sum of positives - n+(n+ + 1)/2)/(n+ n-).

    Ties take average ranks, as in `sklearn.metrics.roc_auc_score`, which this equals; it is
    used for the thousands of permuted scores, where sklearn's input checks dominate the cost.
    """
    y = np.asarray(y, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def permutation_auc_drop(
    model, X: np.ndarray, y: np.ndarray, repeats: int, rng: np.random.Generator
) -> np.ndarray:
    """Mean drop of ROC AUC when each column of `X` is shuffled, `repeats` times per column.

    The same quantity as `sklearn.inspection.permutation_importance(scoring='roc_auc')`; all
    shuffled copies are scored in one `predict_proba` call, which is what makes it cheap.
    """
    baseline = rank_auc(y, model.predict_proba(X)[:, 1])
    n_rows, n_columns = X.shape
    stacked = np.repeat(X[None, :, :], n_columns * repeats, axis=0)
    for column in range(n_columns):
        for repeat in range(repeats):
            copy = column * repeats + repeat
            stacked[copy, :, column] = X[rng.permutation(n_rows), column]
    scores = model.predict_proba(stacked.reshape(-1, n_columns))[:, 1].reshape(
        n_columns * repeats, n_rows
    )
    drops = np.array([baseline - rank_auc(y, s) for s in scores])
    return drops.reshape(n_columns, repeats).mean(axis=1)


def cross_validated_classifier(
    values: pd.DataFrame,
    is_host: np.ndarray,
    *,
    name: str,
    seed: int = 0,
    permutation_repeats: int = 5,
    max_iter: int = 100,
) -> ClassifierResult:
    """Stratified k-fold HistGradientBoosting with out-of-fold AUC and permutation importance.

    NULLs stay NaN (the model learns which side of each split they go). No class weights: the
    ROC AUC does not depend on the class balance, and weighted binning makes scikit-learn's
    fit some thirty times slower. Importances are computed on each held-out fold and averaged,
    so they measure what generalises, not what was memorised.
    """
    y = np.asarray(is_host, dtype=int)
    n_splits = min(MAX_FOLDS, int(y.sum()), int((1 - y).sum()))
    if n_splits < 2:
        raise AnalysisError("the classifier needs at least 2 stars of each group")
    X = values.to_numpy(dtype=float)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    rng = np.random.default_rng(seed)
    out_of_fold = np.full(y.size, np.nan)
    fold_aucs: list[float] = []
    fold_importances = []
    # One OpenMP thread: at ~1000 x 63 values threads cost more than they save, and on a busy
    # machine they contend (measured on 400 stars: 20 s with threads, 3 s without).
    with threadpool_limits(limits=1, user_api="openmp"):
        for train, test in folds.split(X, y):
            model = HistGradientBoostingClassifier(
                max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=15, early_stopping=False,
                random_state=seed,
            )
            model.fit(X[train], y[train])
            out_of_fold[test] = model.predict_proba(X[test])[:, 1]
            fold_aucs.append(rank_auc(y[test], out_of_fold[test]))
            fold_importances.append(
                permutation_auc_drop(model, X[test], y[test], permutation_repeats, rng)
            )
    per_fold = np.array(fold_importances)
    importances = pd.DataFrame(
        {
            "feature": list(values.columns),
            "importance_mean": per_fold.mean(axis=0),
            "importance_std": per_fold.std(axis=0),
        }
    ).sort_values(["importance_mean", "feature"], ascending=[False, True], kind="stable")
    return ClassifierResult(
        name=name,
        features=list(values.columns),
        n_splits=n_splits,
        auc=rank_auc(y, out_of_fold),
        fold_aucs=fold_aucs,
        importances=importances.reset_index(drop=True),
        out_of_fold=out_of_fold,
    )


# --- the whole analysis -----------------------------------------------------------------------


@dataclass
class AnalysisResult:
    summary: pd.DataFrame  # one row per feature, ranked
    balance: pd.DataFrame
    classifiers: list[ClassifierResult]
    match: MatchResult
    limitations: list[str]
    survivors: list[str]
    n_host: int
    n_comparison: int
    comparison_name: str
    sample: pd.DataFrame  # the analysed stars: target_id, label, covariates
    values: pd.DataFrame  # their feature values (rows as in `sample`)
    notes: list[str] = field(default_factory=list)


def vetting_targets(result: AnalysisResult, n_comparison: int) -> list[tuple[str, str]]:
    """The stars that get a vetting sheet, with why: every host, then the `n_comparison`
    comparison stars that score highest: by the out-of-fold host probability of the
    classifier on all features when one was trained (the quiet stars that look most like
    hosts), else by transit SDE (`transit_bls_power`)."""
    hosts = result.sample["label"] == HOST
    chosen = [(t, "host") for t in result.sample.loc[hosts, "target_id"]]
    if result.classifiers:
        score = pd.Series(result.classifiers[0].out_of_fold, index=result.sample.index)
        what = "host probability {:.2f} (classifier, out of fold)"
    else:
        score = result.values["transit_bls_power"].set_axis(result.sample.index)
        what = "transit SDE {:.1f}"
    others = score[~hosts].dropna().sort_values(ascending=False, kind="stable")
    for rank, (row, value) in enumerate(others.head(n_comparison).items(), start=1):
        label = result.sample.loc[row, "label"]
        chosen.append((result.sample.loc[row, "target_id"],
                       f"{label}, #{rank} by " + what.format(value)))
    return chosen


def _comparison_name(labels: pd.Series) -> str:
    others = sorted(set(labels) - {HOST})
    if others == ["quiet"]:
        return "quiet stars"
    if others == ["nonhost"]:
        return "non-hosts"
    return "non-hosts (" + " + ".join(others) + ")"


@dataclass
class _Sample:
    """The analysed stars, their feature values and groups."""

    sample: pd.DataFrame
    values: pd.DataFrame
    is_host: np.ndarray
    comparison: str

    @property
    def n_host(self) -> int:
        return int(self.is_host.sum())

    @property
    def n_other(self) -> int:
        return int((~self.is_host).sum())


def _sample(features: pd.DataFrame, targets: pd.DataFrame, limitations: list[str]) -> _Sample:
    """The targets with a row in the features table (the others named in `limitations`)."""
    present = targets["target_id"].isin(features["target_id"])
    absent = targets.loc[~present]
    if len(absent):
        by_label = absent.groupby("label").size()
        limitations.append(
            f"{len(absent)} of {len(targets)} targets have no row in the features table (not "
            "run yet, or failed): " + ", ".join(f"{n} {lbl}" for lbl, n in by_label.items())
            + ". They are left out; if failures are commoner in one group the comparison is "
            "biased."
        )
    sample = targets.loc[present].sort_values("target_id", kind="stable").reset_index(drop=True)
    rows = features.drop_duplicates("target_id").set_index("target_id")
    values = (
        rows.loc[sample["target_id"], list(FEATURE_NAMES)]
        .apply(pd.to_numeric, errors="coerce")
        .astype(float)
        .reset_index(drop=True)
    )
    values = values.where(np.isfinite(values))
    is_host = (sample["label"] == HOST).to_numpy()
    return _Sample(sample, values, is_host, _comparison_name(targets["label"]))


def _size_limitations(data: _Sample) -> list[str]:
    n_host, n_other, comparison = data.n_host, data.n_other, data.comparison
    if n_host == 0 or n_other == 0:
        raise AnalysisError(
            f"nothing to compare: {n_host} hosts and {n_other} {comparison} have features"
        )
    if min(n_host, n_other) < MIN_GROUP_SIZE:
        return [
            f"The sample is too small to conclude anything: {n_host} host(s) and {n_other} "
            f"{comparison}. With fewer than {MIN_GROUP_SIZE} stars per group a p-value or an "
            "AUC here says little more than the noise of the few stars drawn; read the "
            "numbers as a check that the analysis runs, not as results."
        ]
    return []


def _missingness_limitations(summary: pd.DataFrame) -> list[str]:
    """Features never tested, missingness that differs between the groups, and transit
    features that separate hosts by construction."""
    limitations = []
    never = summary.loc[(summary["n_host"] == 0) | (summary["n_comparison"] == 0), "feature"]
    if len(never):
        limitations.append(
            f"{len(never)} feature(s) are NULL for every star of a group and could not be "
            f"tested: {', '.join(never)}."
        )
    gap = (summary["null_fraction_host"] - summary["null_fraction_comparison"]).abs()
    uneven = summary.loc[gap > MISSINGNESS_GAP, "feature"]
    if len(uneven):
        limitations.append(
            f"{len(uneven)} feature(s) are NULL far more often in one group (by more than "
            f"{MISSINGNESS_GAP:.0%} of stars): {', '.join(uneven)}. Their tests use the stars "
            "with values only, and the classifier can learn from the NULLs themselves."
        )
    trivial = summary.loc[
        summary["separates"] & summary["domain"].isin(BY_CONSTRUCTION_DOMAINS), "feature"
    ]
    if len(trivial):
        limitations.append(
            "Hosts were chosen for their detected transits, so that transit features "
            f"separate them ({', '.join(trivial)}) is a check of the pipeline, not a discovery."
        )
    return limitations


def _matched_comparison(summary: pd.DataFrame, data: _Sample, notes: list[str],
                        limitations: list[str]) -> tuple[MatchResult, list[str]]:
    """Repeat the tests on pairs matched on the covariates; adds the matched columns to
    `summary` and returns the match and the features whose separation survives it."""
    match = match_groups(data.sample, data.is_host)
    notes.extend(match.notes)
    summary["matched_ks_pvalue"] = math.nan
    summary["matched_ks_qvalue"] = math.nan
    summary["matched_auc"] = math.nan
    summary["survives_matching"] = pd.array([pd.NA] * len(summary), dtype="boolean")
    survivors: list[str] = []
    if match.pairs:
        rows_m = match.matched_rows
        matched = feature_tests(data.values.iloc[rows_m].reset_index(drop=True),
                                data.is_host[rows_m])
        matched = matched.set_index("feature")
        summary["matched_ks_pvalue"] = summary["feature"].map(matched["ks_pvalue"])
        summary["matched_ks_qvalue"] = summary["feature"].map(matched["ks_qvalue"])
        summary["matched_auc"] = summary["feature"].map(matched["auc"])
        same_side = np.sign(summary["auc"] - 0.5) == np.sign(summary["matched_auc"] - 0.5)
        survives = summary["separates"] & (summary["matched_ks_qvalue"] < FDR_ALPHA) & same_side
        summary["survives_matching"] = pd.array(survives.to_numpy(), dtype="boolean")
        survivors = summary.loc[survives, "feature"].tolist()
        lost = summary.loc[summary["separates"] & ~survives, "feature"].tolist()
        if lost:
            notes.append(
                f"{len(lost)} separation(s) do not survive matching ({', '.join(lost[:10])}"
                f"{', ...' if len(lost) > 10 else ''}): they may come from the groups' "
                f"different brightness, temperature or noise, or the {len(match.pairs)} pairs "
                "may lack the power to show them."
            )
        if len(match.pairs) < MIN_GROUP_SIZE:
            limitations.append(
                f"Only {len(match.pairs)} matched pair(s): too few for the matched comparison "
                "to confirm or refute any separation."
            )
        residual = match.balance.loc[
            match.balance["matched_on"] & (match.balance["smd_after"].abs() > BALANCED_SMD),
            "description",
        ]
        if len(residual):
            limitations.append(
                "After matching, the groups still differ in " + ", ".join(residual)
                + f" (|standardised mean difference| > {BALANCED_SMD})."
            )
    else:
        if match.covariates:
            reason = f"no host has a partner within {CALIPER_SD} SD in every covariate"
        else:
            reason = (
                "none of " + ", ".join(MATCH_COVARIATES.values()) + " is known for at least "
                f"{MIN_COVARIATE_COVERAGE:.0%} of both groups"
            )
        limitations.append(
            f"No matched comparison was possible ({reason}), so no separation here can be "
            "told apart from the groups' different brightness, temperature or photometric noise."
        )
    unmatched = match.balance[~match.balance["matched_on"]]
    if match.covariates and len(unmatched):
        described = []
        for row in unmatched.itertuples():
            text = (f"{row.description} (known for {row.known_host:.0%} of hosts, "
                    f"{row.known_comparison:.0%} of {data.comparison}")
            if math.isfinite(row.smd_before):
                text += f"; standardised mean difference {row.smd_before:+.2f}"
            described.append(text + ")")
        limitations.append(
            "Not matched on " + ", ".join(described) + ": a separation that survives matching "
            "may still come from a difference in these."
        )
    return match, survivors


def _baseline_classifiers(summary: pd.DataFrame, data: _Sample, seed: int,
                          permutation_repeats: int, iterations: int,
                          limitations: list[str]) -> list[ClassifierResult]:
    """Gradient boosting with and without the transit features, when both groups are large
    enough; their permutation importances go into `summary`."""
    classifiers: list[ClassifierResult] = []
    if min(data.n_host, data.n_other) >= MIN_CLASSIFIER_GROUP:
        non_trivial = [
            n for n in FEATURE_NAMES if BY_NAME[n].domain not in BY_CONSTRUCTION_DOMAINS
        ]
        for name, columns in (("all features", list(FEATURE_NAMES)),
                              ("without transit features", non_trivial)):
            classifiers.append(
                cross_validated_classifier(
                    data.values[columns], data.is_host, name=name, seed=seed,
                    permutation_repeats=permutation_repeats, max_iter=iterations,
                )
            )
        importance = classifiers[0].importances.set_index("feature")["importance_mean"]
        summary["gb_importance"] = summary["feature"].map(importance)
        importance_nt = classifiers[1].importances.set_index("feature")["importance_mean"]
        summary["gb_importance_without_transit"] = summary["feature"].map(importance_nt)
    else:
        summary["gb_importance"] = math.nan
        summary["gb_importance_without_transit"] = math.nan
        limitations.append(
            f"No classifier was trained: cross-validation needs at least {MIN_CLASSIFIER_GROUP} "
            f"stars of each group ({data.n_host} host(s), {data.n_other} {data.comparison})."
        )
    return classifiers


def analyze(
    features: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    seed: int = 0,
    permutation_repeats: int = 5,
    classifier_iterations: int = 100,
    covariate_notes: list[str] | None = None,
) -> AnalysisResult:
    """Compare hosts with the other targets, feature by feature, with a classifier and a
    matched comparison. `features`: the features table; `targets`: target_id, label and the
    covariates of `MATCH_COVARIATES` (NaN where unknown)."""
    targets = _checked_targets(targets, "targets")
    limitations: list[str] = []
    notes = list(covariate_notes or [])
    data = _sample(features, targets, limitations)
    limitations[:0] = _size_limitations(data)
    summary = feature_tests(data.values, data.is_host)
    limitations += _missingness_limitations(summary)
    match, survivors = _matched_comparison(summary, data, notes, limitations)
    classifiers = _baseline_classifiers(summary, data, seed, permutation_repeats,
                                        classifier_iterations, limitations)
    limitations.append(
        "p-values treat the stars as independent draws and say nothing of cause: a feature "
        "that separates the groups may reflect how they were selected (brightness, noise, "
        "observing time) beyond what the matched comparison controls."
    )
    return AnalysisResult(
        summary=summary,
        balance=match.balance,
        classifiers=classifiers,
        match=match,
        limitations=limitations,
        survivors=survivors,
        n_host=data.n_host,
        n_comparison=data.n_other,
        comparison_name=data.comparison,
        sample=data.sample,
        values=data.values,
        notes=notes,
    )
