"""One table for both missions, on SQLite and a real PostgreSQL: `KIC n` and `TIC n` rows side
by side with a `mission` column, and a deployed Kepler schema (no `mission` column in its
features table) still written as before."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from lcfeat.features.extract import FeatureRow
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES
from lcfeat.store import BatchLog, Failure, Store
from lcfeat.store.frame import read_features


def _row(number: int, value: float, mission: str) -> FeatureRow:
    return FeatureRow(kepler_id=number, values={name: value for name in FEATURE_NAMES},
                      extras={name: value for name in EXTRA_NAMES}, n_points=500,
                      duration_days=27.0, quarters=(1, 2), mission=mission,
                      stellar={"teff": 5800.0, "radius": 1.2})


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _query(url: str, sql: str) -> list[tuple]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


def test_kepler_and_tess_rows_share_the_table(db_url):
    store = Store.connect(db_url)
    store.prepare()
    # the same integer names two different stars in the two catalogs
    store.register_targets([25155310], mission="kepler")
    store.register_targets([25155310, 307210830], mission="tess")
    store.write_batch([_row(25155310, 0.5, "kepler"), _row(25155310, 0.75, "tess")],
                      [Failure(307210830, "read", "InvalidLightCurveFileError", "bad", 1, "tess")],
                      "run-1", "h", BatchLog(1, _now()))
    assert sorted(_query(db_url, "SELECT target_id, mission, stat_mean FROM features")) == [
        ("KIC 25155310", "kepler", 0.5), ("TIC 25155310", "tess", 0.75)]
    assert sorted(_query(db_url, "SELECT target_id, mission, features_extracted FROM targets")) \
        == [("KIC 25155310", "kepler", True), ("TIC 25155310", "tess", True),
            ("TIC 307210830", "tess", False)]
    assert _query(db_url, "SELECT target_id FROM failures") == [("TIC 307210830",)]
    assert store.done_target_ids("h") == {"KIC 25155310", "TIC 25155310"}
    store.close()
    frame = read_features(db_url)
    assert list(frame.index) == ["KIC 25155310", "TIC 25155310"]
    assert frame.loc["TIC 25155310", "mission"] == "tess"
    assert "tess" in frame.attrs["definitions"]["mission"]


def test_a_deployed_kepler_schema_is_written_unchanged(db_url):
    """A features table with the deployed columns only: `mission` is one of lcfeat's optional
    columns, named in a warning and left out, and the rows are written as before."""
    engine = _engine(db_url)
    _create_deployed_features_table(engine)
    deployed = {c["name"] for c in inspect(engine).get_columns("features")}
    engine.dispose()
    store = Store.connect(db_url)
    warnings = store.prepare()
    assert any("lacks lcfeat's optional columns" in w and "mission" in w for w in warnings)
    store.write_batch([_row(11904151, 0.5, "kepler"), _row(261136679, 0.25, "tess")], [],
                      "run-1", "h", BatchLog(1, _now()))
    store.close()
    assert sorted(_query(db_url, "SELECT target_id, stat_mean, n_features_valid FROM features")) \
        == [("KIC 11904151", 0.5, 63), ("TIC 261136679", 0.25, 63)]
    engine = _engine(db_url)
    assert {c["name"] for c in inspect(engine).get_columns("features")} == deployed
    engine.dispose()


def _create_deployed_features_table(engine) -> None:
    """The features table as deployed: the 63 columns and the first metadata, no `mission`."""
    floats = ", ".join(f"{name} double precision" for name in FEATURE_NAMES)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE features (target_id text PRIMARY KEY, {floats}, "
                          "extraction_time_seconds double precision, n_features_valid integer, "
                          "n_features_total integer)"))


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_db_upgrade_adds_the_mission_column_to_a_deployed_table(db_url):
    engine = _engine(db_url)
    _create_deployed_features_table(engine)
    engine.dispose()
    store = Store.connect(db_url)
    assert "ALTER TABLE features ADD COLUMN mission TEXT" in store.upgrade()
    store.prepare()
    store.write_batch([_row(42, 1.0, "tess")], [], "r", "h", BatchLog(1, _now()))
    assert _query(db_url, "SELECT target_id, mission FROM features") == [("TIC 42", "tess")]
    store.close()
