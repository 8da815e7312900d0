"""`lcfeat status` as the health check a user used to do by hand an hour into a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from lcfeat.cli import main
from lcfeat.features.extract import FeatureRow
from lcfeat.features.registry import FEATURE_NAMES
from lcfeat.store import Failure, Store


def _row(kepler_id: int, stat_mean: float, null_centroids: bool) -> FeatureRow:
    values: dict[str, float | None] = dict.fromkeys(FEATURE_NAMES, 0.5)
    values["stat_mean"] = stat_mean
    reasons = {}
    if null_centroids:
        for name in FEATURE_NAMES:
            if name.startswith("centroid_"):
                values[name] = None
                reasons[name] = "light-curve files have no MOM_CENTR1/MOM_CENTR2 columns"
    return FeatureRow(kepler_id=kepler_id, values=values, null_reasons=reasons, n_points=10)


def test_healthy_table_has_no_warnings(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'ok.db'}"
    store = Store.connect(url)
    store.prepare()
    store.register_targets(range(1, 21))
    store.write_batch([_row(k, 1.0, False) for k in range(1, 21)], [], "r", "h")
    assert main(["status", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "done     20" in out and "pending  0" in out
    assert "WARNING" not in out


def test_null_columns_bad_normalisation_and_stall_are_flagged(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    store = Store.connect(url)
    store.prepare()
    store.register_targets(range(1, 31))
    # 2 of 20 done targets (10% > 5%) have NULL centroids; the mean is off by 0.01
    rows = [_row(k, 1.01, null_centroids=k <= 2) for k in range(1, 21)]
    store.write_batch(rows, [Failure(21, "read", "InvalidLightCurveFileError", "bad")], "r", "h")
    features = store.tables["features"]
    with store.engine.begin() as conn:  # the last row was written an hour ago
        conn.execute(update(features).values(updated_at=datetime.now(UTC) - timedelta(hours=1)))
    assert main(["status", "--db", url, "--stall-minutes", "30"]) == 0
    out = capsys.readouterr().out
    assert "done     20" in out and "failed   1" in out and "pending  9" in out
    assert "failed by InvalidLightCurveFileError: 1" in out
    assert "WARNING: centroid_jitter_mean is NULL for 10.0% of done targets" in out
    assert "stat_mean" in out and "not 1 +- 1e-3" in out
    assert "is the run stalled?" in out
    assert "centroid       90.0%" in out
