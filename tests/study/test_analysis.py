"""Population analysis: statistics against independent references, the matched comparison,
the report on disk, and a run on the real features of the bundled stars."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy.stats import mannwhitneyu
from sklearn.metrics import roc_auc_score

from lcfeat.cli import main
from lcfeat.errors import ConfigurationError, InvalidTargetError
from lcfeat.features.registry import FEATURE_NAMES
from lcfeat.study.analysis import (
    AnalysisError,
    analysis_targets,
    analyze,
    load_tables,
    match_groups,
    permutation_auc_drop,
    rank_auc,
    standardised_mean_difference,
)
from lcfeat.study.report import SUMMARY_COLUMNS, write_report

REPO = Path(__file__).resolve().parents[2]
SEPARATING = "stat_skewness"
# Small and quick: the classifier needs >= 5 stars per group; tests need no precision from it.
FAST = {"permutation_repeats": 2, "classifier_iterations": 30}


def synthetic(n_host=60, n_quiet=120, shift=1.5, seed=11, null_fraction=0.03):
    """Gaussian features; only SEPARATING differs: hosts are shifted by `shift` sigma."""
    rng = np.random.default_rng(seed)
    n = n_host + n_quiet
    values = rng.normal(size=(n, len(FEATURE_NAMES)))
    values[:n_host, FEATURE_NAMES.index(SEPARATING)] += shift
    values[rng.random(values.shape) < null_fraction] = np.nan
    ids = [f"KIC {100000 + i}" for i in range(n)]
    features = pd.DataFrame(values, columns=list(FEATURE_NAMES))
    features.insert(0, "target_id", ids)
    targets = pd.DataFrame({
        "target_id": ids,
        "label": ["host"] * n_host + ["quiet"] * n_quiet,
        "kepmag": rng.normal(14.0, 1.0, n),
        "st_teff": rng.normal(5600.0, 400.0, n),
        "cdpp6_ppm": rng.normal(40.0, 8.0, n),
    })
    return features, targets


def write_db(path: Path, features: pd.DataFrame) -> str:
    """A features table as the deployed schema has it: target_id text + 63 float columns."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    table = sa.Table(
        "features", sa.MetaData(), sa.Column("target_id", sa.Text, primary_key=True),
        *(sa.Column(name, sa.Float) for name in FEATURE_NAMES),
        sa.Column("n_features_valid", sa.Integer),
    )
    table.metadata.create_all(engine)
    records = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in features.to_dict("records")
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), records)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def synthetic_result():
    features, targets = synthetic()
    return analyze(features, targets, seed=0, **FAST), features, targets


# --- statistics against independent references -----------------------------------------------


def test_the_separating_feature_ranks_first(synthetic_result):
    result, _, _ = synthetic_result
    top = result.summary.iloc[0]
    assert top["feature"] == SEPARATING and top["rank"] == 1
    assert top["ks_qvalue"] < 1e-6
    # Two unit Gaussians 1.5 sigma apart: AUC = Phi(1.5 / sqrt 2) = 0.856; with 60 and 120
    # stars its standard error is ~0.03, so 0.75 is a >3 sigma margin.
    assert top["auc"] > 0.75
    assert result.summary.loc[1:, "separates"].sum() <= 3  # BH at 5 %: few false discoveries


def test_statistics_match_independent_computations(synthetic_result):
    result, features, targets = synthetic_result
    is_host = (targets["label"] == "host").to_numpy()
    row = result.summary.set_index("feature").loc[SEPARATING]
    column = features[SEPARATING].to_numpy()
    host = column[is_host][np.isfinite(column[is_host])]
    quiet = column[~is_host][np.isfinite(column[~is_host])]
    assert row["n_host"] == host.size and row["n_comparison"] == quiet.size
    assert row["median_host"] == np.median(host)
    assert row["median_comparison"] == np.median(quiet)
    # KS D: the largest gap between the two empirical CDFs, evaluated at every data point.
    grid = np.sort(np.concatenate([host, quiet]))
    ecdf = lambda x: np.searchsorted(np.sort(x), grid, side="right") / x.size  # noqa: E731
    assert row["ks_statistic"] == pytest.approx(np.max(np.abs(ecdf(host) - ecdf(quiet))),
                                                abs=1e-12)
    # AUC = Mann-Whitney U / (n1 n2).
    u = mannwhitneyu(host, quiet).statistic
    assert row["auc"] == pytest.approx(u / (host.size * quiet.size), abs=1e-12)


def test_q_values_are_benjamini_hochberg(synthetic_result):
    result, _, _ = synthetic_result
    p = result.summary["ks_pvalue"].to_numpy()
    order = np.argsort(p)
    m = p.size
    adjusted = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(adjusted[::-1])[::-1].clip(max=1.0)
    expected = np.empty(m)
    expected[order] = adjusted
    np.testing.assert_allclose(result.summary["ks_qvalue"].to_numpy(), expected, rtol=1e-12)


def test_rank_auc_equals_sklearn_with_ties():
    rng = np.random.default_rng(3)
    y = rng.random(200) < 0.3
    score = rng.integers(0, 8, 200).astype(float)  # many ties
    assert rank_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert math.isnan(rank_auc(np.zeros(5, bool), score[:5]))


def test_permutation_importance_sees_only_the_column_the_model_uses():
    class FirstColumnModel:
        def predict_proba(self, X):
            p = 1.0 / (1.0 + np.exp(-X[:, 0]))
            return np.column_stack([1.0 - p, p])

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = X[:, 0] + 0.3 * rng.normal(size=80) > 0
    drops = permutation_auc_drop(FirstColumnModel(), X, y, repeats=4, rng=rng)
    assert drops[0] > 0.3
    np.testing.assert_array_equal(drops[1:], 0.0)


def test_classifier_learns_the_separating_feature(synthetic_result):
    result, _, _ = synthetic_result
    names = [c.name for c in result.classifiers]
    assert names == ["all features", "without transit features"]
    for classifier in result.classifiers:
        assert classifier.importances.iloc[0]["feature"] == SEPARATING
        assert classifier.auc > 0.7  # one 1.5-sigma feature: ~0.85 at best
        assert classifier.n_splits == 5


# --- matched comparison -----------------------------------------------------------------------


def confounded(seed=5):
    """Hosts are 1 mag brighter; 'stat_std' follows magnitude, 'stat_skewness' truly differs."""
    rng = np.random.default_rng(seed)
    n_host, n_quiet = 80, 400
    n = n_host + n_quiet
    kepmag = np.concatenate([rng.normal(13.0, 1.0, n_host), rng.normal(14.0, 1.0, n_quiet)])
    values = rng.normal(size=(n, len(FEATURE_NAMES)))
    values[:, FEATURE_NAMES.index("stat_std")] = kepmag + 0.3 * rng.normal(size=n)
    values[:n_host, FEATURE_NAMES.index(SEPARATING)] += 1.5
    ids = [f"KIC {200000 + i}" for i in range(n)]
    features = pd.DataFrame(values, columns=list(FEATURE_NAMES))
    features.insert(0, "target_id", ids)
    targets = pd.DataFrame({
        "target_id": ids, "label": ["host"] * n_host + ["quiet"] * n_quiet, "kepmag": kepmag,
        "st_teff": rng.normal(5600, 300, n), "cdpp6_ppm": np.nan,
    })
    return features, targets


def test_matching_removes_a_brightness_confound_and_keeps_a_real_difference():
    features, targets = confounded()
    result = analyze(features, targets, seed=0, **FAST)
    summary = result.summary.set_index("feature")
    assert summary.loc["stat_std", "separates"] and summary.loc[SEPARATING, "separates"]
    assert result.survivors == [SEPARATING]
    assert not summary.loc["stat_std", "survives_matching"]
    balance = result.balance.set_index("covariate")
    assert balance.loc["kepmag", "smd_before"] < -0.8
    assert abs(balance.loc["kepmag", "smd_after"]) < 0.1
    assert not balance.loc["cdpp6_ppm", "matched_on"]  # unknown for everyone
    assert any("6-hour CDPP" in note for note in result.notes)


def test_matched_pairs_respect_the_caliper():
    features, targets = confounded()
    is_host = (targets["label"] == "host").to_numpy()
    match = match_groups(targets, is_host)
    kepmag, teff = targets["kepmag"].to_numpy(), targets["st_teff"].to_numpy()
    sd = lambda x: math.sqrt((np.var(x[is_host], ddof=1) + np.var(x[~is_host], ddof=1)) / 2)  # noqa: E731
    assert len(match.pairs) > 40
    partners = [o for _, o in match.pairs]
    assert len(set(partners)) == len(partners)  # 1:1
    for h, o in match.pairs:
        assert is_host[h] and not is_host[o]
        assert abs(kepmag[h] - kepmag[o]) <= 0.25 * sd(kepmag) + 1e-12
        assert abs(teff[h] - teff[o]) <= 0.25 * sd(teff) + 1e-12


def test_standardised_mean_difference_by_hand():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0])
    pooled = math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    assert standardised_mean_difference(a, b) == pytest.approx((2.5 - 4.0) / pooled)


def test_no_usable_covariate_is_said_plainly():
    features, targets = synthetic(n_host=30, n_quiet=30)
    targets["kepmag"] = np.nan
    targets["st_teff"] = np.nan
    targets["cdpp6_ppm"] = np.nan
    result = analyze(features, targets, **FAST)
    assert any(text.startswith("No matched comparison was possible") for text in
               result.limitations)
    assert result.summary["survives_matching"].isna().all()


# --- limitations ------------------------------------------------------------------------------


def test_missing_rows_and_features_are_reported():
    features, targets = synthetic(n_host=30, n_quiet=40)
    features.loc[:29, "centroid_jitter_mean"] = np.nan  # never computed for hosts
    features.loc[:14, "transit_implied_r_planet_rjup"] = np.nan  # half the hosts
    features = features.iloc[2:]  # two hosts never ran
    result = analyze(features, targets, **FAST)
    text = "\n".join(result.limitations)
    assert "2 of 70 targets have no row in the features table" in text
    assert "could not be tested: centroid_jitter_mean" in text
    assert "transit_implied_r_planet_rjup" in text.split("NULL far more often")[1]
    assert result.n_host == 28
    assert not any("too small" in line for line in result.limitations)


def test_transit_separation_is_called_a_pipeline_check():
    features, targets = synthetic(n_host=30, n_quiet=60)
    features.loc[:29, "transit_bls_power"] += 3.0  # hosts have transits by construction
    result = analyze(features, targets, **FAST)
    assert any("transit_bls_power) is a check of the pipeline" in line
               for line in result.limitations)
    without = result.classifiers[1]
    assert without.name == "without transit features"
    assert not any(name.startswith("transit_") for name in without.features)
    assert len(without.features) == 53


def test_small_samples_skip_the_classifier_and_say_so():
    features, targets = synthetic(n_host=4, n_quiet=30)
    result = analyze(features, targets, **FAST)
    assert result.limitations[0].startswith("The sample is too small to conclude anything: 4")
    assert result.classifiers == []
    assert any("No classifier was trained" in line for line in result.limitations)


def test_bad_inputs_are_clear_errors(tmp_path):
    features, targets = synthetic(n_host=5, n_quiet=5)
    with pytest.raises(AnalysisError, match="nothing to compare: 0 hosts"):
        analyze(features, targets.assign(label="quiet"))
    with pytest.raises(AnalysisError, match="unknown label"):
        analyze(features, targets.assign(label="planet"))
    (tmp_path / "t.csv").write_text("star,label\nKIC 1,host\n")
    with pytest.raises(InvalidTargetError, match="needs a 'target_id' or 'kepid' column"):
        analysis_targets(str(tmp_path / "t.csv"), None)
    (tmp_path / "u.csv").write_text("kepid,kind\n1,host\n2,quiet\n")
    with pytest.raises(AnalysisError, match="2 of 2 targets have no label"):
        analysis_targets(str(tmp_path / "u.csv"), None)
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    sa.create_engine(empty).connect().close()
    with pytest.raises(ConfigurationError, match="has no 'features' table"):
        load_tables(empty)


# --- the report on disk -----------------------------------------------------------------------


def test_report_files_open_offline_and_repeat_bit_for_bit(synthetic_result, tmp_path):
    result, _, _ = synthetic_result
    first = write_report(result, tmp_path / "a", top=2)
    second = write_report(result, tmp_path / "b", top=2)
    page = first.read_text()
    images = re.findall(r"<img src='([^']+)'", page)
    assert "feature_stat_skewness.png" in images and "classifier_roc.png" in images
    for image in images:
        assert not re.match(r"^(?:[a-z]+:|/)", image)  # relative: opens offline
        assert (first.parent / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http" not in page and "<script" not in page
    summary = pd.read_csv(first.parent / "summary.csv")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert len(summary) == 63 and summary.loc[0, "feature"] == SEPARATING
    assert summary.loc[0, "ks_pvalue"] == pytest.approx(result.summary.loc[0, "ks_pvalue"],
                                                        rel=1e-5)
    for name in ("index.html", "summary.csv", "covariate_balance.csv",
                 "feature_stat_skewness.png"):
        assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes()


def test_analyze_command_on_a_database(tmp_path, capsys):
    features, targets = synthetic(n_host=25, n_quiet=50)
    url = write_db(tmp_path / "features.db", features)
    targets.to_csv(tmp_path / "targets.csv", index=False)
    (tmp_path / "targets.selection.txt").write_text("seed: 3\ncriteria: test\n")
    code = main(["analyze", "--db", url, "--targets", str(tmp_path / "targets.csv"),
                 "-o", str(tmp_path / "report"), "--catalog", "bundled",
                 "--permutation-repeats", "2", "--top", "2"])
    assert code == 0
    printed = capsys.readouterr().out
    assert re.search(rf"^\s+1\s+{SEPARATING}\s", printed, re.MULTILINE)
    page = (tmp_path / "report" / "index.html").read_text()
    assert "How the targets were chosen" in page and "seed: 3" in page


def test_analyze_takes_labels_and_teff_from_the_database_targets_table(tmp_path, capsys):
    features, targets = synthetic(n_host=20, n_quiet=30)
    url = write_db(tmp_path / "features.db", features)
    stored = targets[["target_id", "label", "st_teff"]].copy()
    stored["st_cdpp6_0"] = targets["cdpp6_ppm"]
    stored.loc[stored.index[-1], "label"] = None  # an unlabelled target is left out
    stored.to_sql("targets", sa.create_engine(url), index=False)
    code = main(["analyze", "--db", url, "-o", str(tmp_path / "report"), "--catalog", "bundled",
                 "--permutation-repeats", "2"])
    assert code == 0
    assert "20 hosts vs 29 quiet stars" in capsys.readouterr().out
    balance = pd.read_csv(tmp_path / "report" / "covariate_balance.csv").set_index("covariate")
    assert balance.loc["st_teff", "matched_on"] and balance.loc["cdpp6_ppm", "matched_on"]
    assert balance.loc["st_teff", "mean_host"] == pytest.approx(targets["st_teff"][:20].mean())


def test_analyze_reads_a_kepid_csv_as_run_does(tmp_path, capsys):
    """The NASA Exoplanet Archive names the id column kepid: analyze takes it, as run does."""
    features, targets = synthetic(n_host=20, n_quiet=30)
    url = write_db(tmp_path / "features.db", features)
    labels = pd.DataFrame({"kepid": targets["target_id"].str.split().str[1].astype(int),
                           "label": targets["label"], "st_teff": targets["st_teff"]})
    labels.to_csv(tmp_path / "labels.csv", index=False)
    code = main(["analyze", "--db", url, "--targets", str(tmp_path / "labels.csv"),
                 "-o", str(tmp_path / "report"), "--catalog", "bundled",
                 "--permutation-repeats", "2"])
    assert code == 0
    assert "20 hosts vs 30 quiet stars" in capsys.readouterr().out
    balance = pd.read_csv(tmp_path / "report" / "covariate_balance.csv").set_index("covariate")
    assert balance.loc["st_teff", "mean_host"] == pytest.approx(targets["st_teff"][:20].mean())


def test_an_id_list_takes_its_labels_from_the_database(tmp_path):
    features, targets = synthetic(n_host=5, n_quiet=5)
    stored = targets[["target_id", "label"]]
    (tmp_path / "ids.txt").write_text("\n".join(stored["target_id"][:4]) + "\n")
    frame, text = analysis_targets(str(tmp_path / "ids.txt"), stored)
    assert list(frame["target_id"]) == list(stored["target_id"][:4])
    assert list(frame["label"]) == list(stored["label"][:4])
    assert text is None
    frame, text = analysis_targets("bundled-5", None)
    assert dict(zip(frame["target_id"], frame["label"], strict=True))["KIC 11904151"] == "host"
    assert text.startswith("preset bundled-5")


# --- real features of the bundled stars -------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_features():
    """Features of the five bundled stars, computed by the pipeline's own extraction."""
    from lcfeat.features.extract import extract_features
    from lcfeat.lightcurve import read_light_curve
    from lcfeat.targets.catalog import preset_labels

    rows = []
    for kic in preset_labels("bundled-5"):
        folder = REPO / "data" / "archive" / f"{kic:09d}"[:4] / f"{kic:09d}"
        row = extract_features(read_light_curve(sorted(folder.glob("kplr*_llc.fits"))))
        rows.append({"target_id": row.target_id, **row.values})
    return pd.DataFrame(rows)


def test_real_bundled_stars_run_and_the_report_says_the_sample_is_too_small(
    bundled_features, tmp_path, capsys
):
    url = write_db(tmp_path / "features.db", bundled_features)
    out = tmp_path / "report"
    code = main(["analyze", "--db", url, "--targets", "bundled-5", "-o", str(out),
                 "--catalog", "bundled"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "1 hosts vs 4 non-hosts" in printed
    assert "The sample is too small to conclude anything: 1 host(s) and 4 non-hosts" in printed
    assert "No classifier was trained" in printed
    page = (out / "index.html").read_text()
    assert "too small to conclude anything" in page

    # The numbers can be checked by hand: medians of the four non-hosts and, with one host,
    # AUC = share of non-hosts below the host (ties count one half).
    summary = pd.read_csv(out / "summary.csv").set_index("feature")
    host = bundled_features["target_id"] == "KIC 11904151"
    for feature in ("stat_std", "transit_bls_power", "freq_dominant_period"):
        values = bundled_features[feature].astype(float)
        others = values[~host].to_numpy()
        host_value = float(values[host].iloc[0])
        assert summary.loc[feature, "median_comparison"] == pytest.approx(np.median(others),
                                                                          rel=1e-5)
        assert summary.loc[feature, "median_host"] == pytest.approx(host_value, rel=1e-5)
        expected_auc = (np.sum(others < host_value) + 0.5 * np.sum(others == host_value)) / 4
        assert summary.loc[feature, "auc"] == pytest.approx(expected_auc, abs=1e-9)
