"""The analysis report on disk: index.html (opens offline), summary.csv, PNG figures.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no
global backend switch). The HTML has inline CSS, no script, and refers to the PNGs by relative
path, so the folder can be zipped, mailed and opened anywhere. Nothing in it depends on the
time it was made: the same inputs give the same files.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from lcfeat.study.analysis import (
    BALANCED_SMD,
    BY_CONSTRUCTION_DOMAINS,
    CALIPER_SD,
    FDR_ALPHA,
    MIN_COVARIATE_COVERAGE,
    MIN_GROUP_SIZE,
    AnalysisResult,
)

HOST_COLOUR = "#d95f02"
#: Fewer stars than this are drawn one by one instead of as a violin (a density from a handful
#: of points is mostly the kernel's shape).
MIN_VIOLIN_POINTS = 10
OTHER_COLOUR = "#1b9e77"
#: Summary columns, in the order of summary.csv.
SUMMARY_COLUMNS = (
    "rank", "feature", "domain", "unit", "n_host", "n_comparison", "null_fraction_host",
    "null_fraction_comparison", "median_host", "median_comparison", "ks_statistic",
    "ks_pvalue", "ks_qvalue", "auc", "separates", "matched_ks_pvalue", "matched_ks_qvalue",
    "matched_auc", "survives_matching", "gb_importance", "gb_importance_without_transit",
)


def _save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=100, metadata={"Software": None})


def plot_feature(
    name: str, unit: str, host: np.ndarray, other: np.ndarray, comparison: str, path: Path
) -> None:
    """Histogram (density, shared bins over the central 98 %) and violins of both groups."""
    host, other = host[np.isfinite(host)], other[np.isfinite(other)]
    figure = Figure(figsize=(9, 3.4))
    hist_axes, violin_axes = figure.subplots(1, 2, width_ratios=(3, 2))
    both = np.concatenate([host, other])
    low, high = np.percentile(both, [1, 99]) if both.size else (0.0, 1.0)
    if not high > low:
        low, high = (low - 0.5, high + 0.5) if low == 0 else (low * 0.99, high * 1.01)
        low, high = min(low, high), max(low, high)
    bins = np.linspace(low, high, 31)
    for values, colour, label in ((other, OTHER_COLOUR, comparison), (host, HOST_COLOUR, "hosts")):
        if values.size:
            hist_axes.hist(np.clip(values, low, high), bins=bins, density=True, alpha=0.55,
                           color=colour, label=f"{label} (n={values.size})")
    hist_axes.set_xlabel(f"{name} [{unit}]" if unit else name)
    hist_axes.set_ylabel("density")
    hist_axes.legend(fontsize=8)
    hist_axes.set_title("values outside the 1-99 % range are piled at the edges", fontsize=8)
    groups = [(host, "hosts", HOST_COLOUR), (other, comparison, OTHER_COLOUR)]
    for position, (values, _, colour) in enumerate(groups, start=1):
        if values.size >= MIN_VIOLIN_POINTS and np.unique(values).size >= 3:
            parts = violin_axes.violinplot([values], positions=[position], showmedians=True)
            for body in parts["bodies"]:
                body.set_facecolor(colour)
                body.set_alpha(0.5)
            for line in ("cmedians", "cmins", "cmaxes", "cbars"):
                parts[line].set_color("black")
        elif values.size:
            # Too few stars for a density: show each star and the median.
            offsets = np.linspace(-0.1, 0.1, values.size) if values.size > 1 else np.zeros(1)
            violin_axes.scatter(position + offsets, values, color=colour, s=18)
            violin_axes.hlines(np.median(values), position - 0.2, position + 0.2, color="black")
    violin_axes.set_xticks([1, 2], [f"hosts\n(n={host.size})", f"{comparison}\n(n={other.size})"])
    violin_axes.set_ylabel(unit or name)
    figure.suptitle(name, fontsize=10)
    figure.tight_layout()
    _save(figure, path)


def plot_roc(result: AnalysisResult, path: Path) -> None:
    figure = Figure(figsize=(4.6, 4.2))
    axes = figure.subplots()
    y = (result.sample["label"] == "host").to_numpy(dtype=int)
    for classifier, style in zip(result.classifiers, ("-", "--"), strict=False):
        fpr, tpr, _ = roc_curve(y, classifier.out_of_fold)
        axes.plot(fpr, tpr, style, label=f"{classifier.name}: AUC {classifier.auc:.3f}")
    axes.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    axes.set_xlabel("false-positive rate")
    axes.set_ylabel("true-positive rate (hosts)")
    axes.set_title("out-of-fold ROC, gradient boosting", fontsize=9)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    _save(figure, path)


def plot_importances(result: AnalysisResult, path: Path, top: int = 15) -> None:
    figure = Figure(figsize=(9, 4.4))
    panels = figure.subplots(1, len(result.classifiers))
    panels = np.atleast_1d(panels)
    for axes, classifier in zip(panels, result.classifiers, strict=True):
        shown = classifier.importances.head(top).iloc[::-1]
        axes.barh(shown["feature"], shown["importance_mean"], xerr=shown["importance_std"],
                  color="#7570b3")
        axes.set_xlabel("drop in ROC AUC when shuffled")
        axes.set_title(classifier.name, fontsize=9)
        axes.tick_params(axis="y", labelsize=7)
    figure.tight_layout()
    _save(figure, path)


def plot_balance(result: AnalysisResult, path: Path) -> None:
    balance = result.balance
    figure = Figure(figsize=(5.5, 2.6))
    axes = figure.subplots()
    positions = np.arange(len(balance))
    axes.scatter(balance["smd_before"], positions, marker="o", color="black", label="all stars")
    axes.scatter(balance["smd_after"], positions, marker="s", color="#e7298a",
                 label="matched pairs")
    for edge in (-BALANCED_SMD, BALANCED_SMD):
        axes.axvline(edge, color="grey", linestyle=":")
    axes.axvline(0, color="grey")
    axes.set_yticks(positions, balance["description"])
    axes.set_xlabel("standardised mean difference (hosts - comparison)")
    axes.legend(fontsize=7)
    figure.tight_layout()
    _save(figure, path)


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font-family:sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .45em;text-align:right}
th{background:#f2f2f2} td.l,th.l{text-align:left}
tr.sep td{background:#fff3e6}
.warn{background:#fff4f4;border:2px solid #c33;padding:.6em 1.2em}
.note{color:#555;font-size:.9em}
img{max-width:100%;border:1px solid #eee;margin:.3em 0}
pre{background:#f7f7f7;padding:.6em;font-size:.8em;white-space:pre-wrap}
"""


def _fmt(value: object, kind: str = "g") -> str:
    if value is None or value is pd.NA:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "–"
        if kind == "p":
            return f"{value:.2e}"
        if kind == "3":
            return f"{value:.3f}"
        if kind == "%":
            return f"{value:.0%}"
        return f"{value:.5g}"
    return html.escape(str(value))


def _table(frame: pd.DataFrame, columns: list[tuple[str, str, str]], highlight=None) -> str:
    """columns: (column, header, format kind); left-aligned when kind == 'l'."""
    head = "".join(
        f'<th class="l">{html.escape(h)}</th>' if k == "l" else f"<th>{html.escape(h)}</th>"
        for _, h, k in columns
    )
    body = []
    for _, row in frame.iterrows():
        css = ' class="sep"' if highlight is not None and bool(highlight(row)) else ""
        cells = "".join(
            f'<td class="l">{_fmt(row[c])}</td>' if k == "l" else f"<td>{_fmt(row[c], k)}</td>"
            for c, _, k in columns
        )
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


_GROUP_NAMES = {"host": "hosts", "quiet": "quiet stars", "nonhost": "non-hosts"}


def _strata_sentence(sample: pd.DataFrame) -> str:
    """' Strata: hosts 80 sunlike / 20 mdwarf; ...' when the targets list says them."""
    if "stratum" not in sample.columns or sample["stratum"].isna().all():
        return ""
    parts = []
    for label, group in sample.groupby("label"):
        counts = group["stratum"].fillna("unknown").value_counts().sort_index()
        parts.append(f"{_GROUP_NAMES.get(str(label), str(label))} "
                     + " / ".join(f"{n} {s}" for s, n in counts.items()))
    return " Strata: " + html.escape("; ".join(parts)) + "."


def _header(result: AnalysisResult) -> list[str]:
    comparison = result.comparison_name
    summary = result.summary
    counts = result.sample.groupby("label").size()
    return [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>lcfeat: planet hosts vs " + html.escape(comparison) + "</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Do planet hosts look different from {html.escape(comparison)}?</h1>",
        "<p>" + " and ".join(f"{n} {_GROUP_NAMES.get(str(lbl), str(lbl))}"
                             for lbl, n in counts.items())
        + f" have features; {len(summary)} features tested."
        + _strata_sentence(result.sample) + "</p>",
        "<div class='warn'><h2 style='margin-top:.3em;border:0'>What this report cannot "
        "conclude</h2>" + _list(result.limitations) + "</div>",
    ]


def _headline(result: AnalysisResult) -> list[str]:
    summary = result.summary
    separating = summary[summary["separates"]]
    headline = [
        f"{len(separating)} of {int(summary['ks_pvalue'].notna().sum())} tested features "
        f"separate the groups at a false-discovery rate of {FDR_ALPHA:.0%} "
        "(Benjamini-Hochberg q-value of the KS test)."
    ]
    non_trivial = separating[~separating["domain"].isin(BY_CONSTRUCTION_DOMAINS)]
    if len(separating):
        headline.append(
            f"Outside the transit domain: {len(non_trivial)}"
            + (f" ({', '.join(non_trivial['feature'].head(8))}"
               f"{', ...' if len(non_trivial) > 8 else ''})" if len(non_trivial) else "")
            + "."
        )
    if result.match.pairs:
        headline.append(
            f"{len(result.survivors)} separation(s) survive the matched comparison"
            + (f": {', '.join(result.survivors)}." if result.survivors else ".")
        )
    for classifier in result.classifiers:
        folds = np.array(classifier.fold_aucs)
        headline.append(
            f"Gradient boosting, {classifier.name}: out-of-fold ROC AUC {classifier.auc:.3f} "
            f"({classifier.n_splits}-fold; per fold {folds.mean():.3f} ± {folds.std():.3f})."
        )
    return ["<h2>Summary</h2>", _list(headline)]


def _ranked_features(summary: pd.DataFrame) -> list[str]:
    parts: list[str] = []
    parts.append("<h2>Ranked features</h2>")
    parts.append(
        "<p class='note'>Sorted by q-value, then by |AUC − 0.5|. AUC: probability that a host "
        "has the larger value (0.5 = no separation; below 0.5 hosts are lower). n: stars with a "
        "value. Highlighted rows have q &lt; "
        f"{FDR_ALPHA}. 'matched' columns repeat the test on the matched pairs. The same numbers "
        "are in <a href='summary.csv'>summary.csv</a>.</p>"
    )
    parts.append(
        _table(
            summary,
            [("rank", "#", "g"), ("feature", "feature", "l"), ("domain", "domain", "l"),
             ("n_host", "n host", "g"), ("n_comparison", "n comp.", "g"),
             ("median_host", "median host", "g"), ("median_comparison", "median comp.", "g"),
             ("ks_statistic", "KS D", "3"), ("ks_pvalue", "KS p", "p"),
             ("ks_qvalue", "q (BH)", "p"), ("auc", "AUC", "3"),
             ("matched_auc", "matched AUC", "3"), ("matched_ks_qvalue", "matched q", "p"),
             ("survives_matching", "survives", "l"), ("gb_importance", "GB importance", "3")],
            highlight=lambda row: row["separates"],
        )
    )

    return parts


def _feature_figures(figures: dict[str, str]) -> list[str]:
    parts: list[str] = []
    feature_figures = [(k, v) for k, v in figures.items() if k.startswith("feature:")]
    if feature_figures:
        parts.append("<h2>Distributions of the top features</h2>")
        for key, file in feature_figures:
            parts.append(f"<img src='{html.escape(file)}' alt='{html.escape(key[8:])}'>")

    return parts


def _classifier_section(result: AnalysisResult, figures: dict[str, str]) -> list[str]:
    parts: list[str] = []
    parts.append("<h2>Baseline classifier</h2>")
    if result.classifiers:
        parts.append(
            "<p class='note'>scikit-learn HistGradientBoostingClassifier (learning rate 0.1, "
            "15 leaves, no early stopping; NULL features stay NaN), "
            "stratified k-fold cross-validation. Importance: mean drop of the held-out ROC AUC "
            "when the feature is shuffled (permutation importance), averaged over folds. "
            "Correlated features share their importance, so a low value does not mean "
            "useless.</p>"
        )
        if "roc" in figures:
            parts.append(f"<img src='{figures['roc']}' alt='ROC curves'>")
        if "importance" in figures:
            parts.append(f"<img src='{figures['importance']}' alt='feature importances'>")
        for classifier in result.classifiers:
            parts.append(f"<h3>{html.escape(classifier.name)}: top 15 importances</h3>")
            parts.append(
                _table(classifier.importances.head(15),
                       [("feature", "feature", "l"), ("importance_mean", "AUC drop", "3"),
                        ("importance_std", "spread over folds", "3")])
            )
    else:
        parts.append("<p>Not trained (see above).</p>")

    return parts


def _matching_section(result: AnalysisResult, figures: dict[str, str]) -> list[str]:
    parts: list[str] = []
    parts.append("<h2>Matched comparison</h2>")
    parts.append(
        "<p class='note'>Each host is paired with one comparison star by optimal 1:1 "
        f"assignment on the covariates known for at least {MIN_COVARIATE_COVERAGE:.0%} of both "
        f"groups, scaled by their pooled standard deviation, with a caliper of {CALIPER_SD} SD "
        "on every covariate. Standardised mean difference (SMD) = difference of means over the "
        f"pooled SD; |SMD| &lt; {BALANCED_SMD} counts as balanced. A separation survives when "
        "its q-value is below the threshold in both the full and the matched sample, with AUC "
        "on the same side of 0.5.</p>"
    )
    parts.append(
        _table(
            result.balance,
            [("description", "covariate", "l"), ("known_host", "known, hosts", "%"),
             ("known_comparison", "known, comp.", "%"), ("mean_host", "mean host", "g"),
             ("mean_comparison", "mean comp.", "g"), ("smd_before", "SMD all", "3"),
             ("smd_after", "SMD matched", "3"), ("matched_on", "matched on", "l")],
        )
    )
    if "balance" in figures:
        parts.append(f"<img src='{figures['balance']}' alt='covariate balance'>")
    parts.append(_list(result.notes))

    return parts


def _method_section(inputs: list[str], selection_text: str | None) -> list[str]:
    parts: list[str] = []
    parts.append("<h2>Inputs and method</h2>")
    parts.append(_list(inputs))
    parts.append(
        "<p class='note'>KS: scipy.stats.ks_2samp (two-sided, exact for small samples). "
        "AUC: sklearn.metrics.roc_auc_score on the stars with a value. q-values: "
        "statsmodels multipletests(method='fdr_bh') over every tested feature. Medians and "
        "tests use only the stars with a value for that feature; n says how many. With fewer "
        f"than {MIN_GROUP_SIZE} stars per group the report says the sample is too small.</p>"
    )
    if selection_text:
        parts.append("<h2>How the targets were chosen</h2>")
        parts.append(f"<pre>{html.escape(selection_text)}</pre>")
    return parts


def _sheets_section(sheets: list[tuple[str, str, str]] | None,
                    sheets_note: str | None) -> list[str]:
    if sheets is None and sheets_note is None:
        return []
    parts = ["<h2>Vetting sheets</h2>"]
    if sheets_note:
        parts.append(f"<p class='note'>{html.escape(sheets_note)}</p>")
    if sheets:
        parts.append(
            "<p class='note'>One page per star, as the Kepler DV one-page summary: light curve "
            "with the candidate's transits, detrended flux, transit periodogram, the fold on "
            "the stored period and epoch, odd and even transits, phase 0.5, Lomb-Scargle, and "
            "the stored numbers.</p><ul>"
            + "".join(f"<li><a href='{html.escape(file)}'>{html.escape(target)}</a>: "
                      f"{html.escape(why)}</li>" for target, file, why in sheets)
            + "</ul>"
        )
    return parts


def render_html(
    result: AnalysisResult,
    figures: dict[str, str],
    inputs: list[str],
    selection_text: str | None = None,
    sheets: list[tuple[str, str, str]] | None = None,
    sheets_note: str | None = None,
) -> str:
    parts = [
        *_header(result),
        *_headline(result),
        *_ranked_features(result.summary),
        *_feature_figures(figures),
        *_sheets_section(sheets, sheets_note),
        *_classifier_section(result, figures),
        *_matching_section(result, figures),
        *_method_section(inputs, selection_text),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _safe_name(feature: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in feature)


def write_report(
    result: AnalysisResult,
    output_dir: Path | str,
    *,
    top: int = 6,
    inputs: list[str] | None = None,
    selection_text: str | None = None,
    sheets: list[tuple[str, str, str]] | None = None,
    sheets_note: str | None = None,
) -> Path:
    """Write index.html, summary.csv, covariate_balance.csv and the PNGs; return index.html.

    `sheets` (target id, file relative to the report, why it was chosen) are linked in a
    "Vetting sheets" section, with `sheets_note` (why some or all are missing) above them.

    Plotted: the `top` ranked features, and the `top` best-ranked outside the transit domain
    when those differ, so that the trivially separating transit features do not hide the rest.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    summary = result.summary
    summary.reindex(columns=list(SUMMARY_COLUMNS)).to_csv(
        output_dir / "summary.csv", index=False, float_format="%.6g"
    )
    result.balance.to_csv(output_dir / "covariate_balance.csv", index=False, float_format="%.6g")

    tested = summary[summary["ks_pvalue"].notna()]
    chosen = list(tested["feature"].head(top))
    non_transit = tested.loc[~tested["domain"].isin(BY_CONSTRUCTION_DOMAINS), "feature"]
    chosen += [f for f in non_transit.head(top) if f not in chosen]
    is_host = (result.sample["label"] == "host").to_numpy()
    units = summary.set_index("feature")["unit"]
    figures: dict[str, str] = {}
    for feature in chosen:
        file = f"feature_{_safe_name(feature)}.png"
        column = result.values[feature].to_numpy(dtype=float)
        plot_feature(feature, str(units[feature]), column[is_host], column[~is_host],
                     result.comparison_name, output_dir / file)
        figures[f"feature:{feature}"] = file
    if result.classifiers:
        plot_roc(result, output_dir / "classifier_roc.png")
        figures["roc"] = "classifier_roc.png"
        plot_importances(result, output_dir / "classifier_importance.png")
        figures["importance"] = "classifier_importance.png"
    if result.balance["smd_before"].notna().any():
        plot_balance(result, output_dir / "covariate_balance.png")
        figures["balance"] = "covariate_balance.png"
    index = output_dir / "index.html"
    index.write_text(
        render_html(result, figures, inputs or [], selection_text, sheets, sheets_note),
        encoding="utf-8"
    )
    return index
