"""The store on SQLite and a real PostgreSQL: table from the registry, upsert, schema check."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, inspect, text

from lcfeat.errors import ConfigurationError, SchemaMismatchError
from lcfeat.features.extract import FeatureRow
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES
from lcfeat.store import BatchLog, Failure, Store
from lcfeat.store.schema import build_metadata


def _row(kepler_id: int, value: float) -> FeatureRow:
    values: dict[str, float | None] = {name: value for name in FEATURE_NAMES}
    values["transit_implied_r_planet_rjup"] = None
    return FeatureRow(kepler_id=kepler_id, values=values,
                      null_reasons={"transit_implied_r_planet_rjup": "no stellar radius"},
                      n_points=100, duration_days=2.0, quarters=(1, 2),
                      extraction_seconds=0.5)


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def test_table_has_exactly_the_registry_columns(db_url):
    store = Store.connect(db_url)
    store.prepare()
    columns = {c["name"] for c in inspect(store.engine).get_columns("features")}
    assert set(FEATURE_NAMES) <= columns
    assert {"target_id", "extraction_time_seconds", "n_features_valid",
            "n_features_total"} <= columns
    feature_like = {c for c in columns if c.split("_")[0] in
                    {"stat", "temp", "freq", "resid", "shape", "centroid"}}
    assert feature_like == {n for n in (*FEATURE_NAMES, *EXTRA_NAMES)
                            if not n.startswith("transit_")}


def test_upsert_twice_leaves_one_row_with_newer_values(db_url):
    store = Store.connect(db_url)
    store.prepare()
    store.register_targets([3342467])
    store.write_batch([_row(3342467, 1.0)], [], "run-a", "hash", BatchLog(1, _now()))
    store.write_batch([_row(3342467, 2.0)], [], "run-b", "hash", BatchLog(2, _now()))
    rows = store.feature_rows()
    assert len(rows) == 1
    row = rows[0]
    assert row["target_id"] == "KIC 3342467"
    assert row["stat_mean"] == 2.0 and row["run_id"] == "run-b"
    assert row["transit_implied_r_planet_rjup"] is None
    assert json.loads(row["null_reasons"]) == {
        "transit_implied_r_planet_rjup": "no stellar radius"}
    assert row["n_features_valid"] == 62 and row["n_features_total"] == 63
    status = store.status()
    assert (status.done, status.failed, status.pending) == (1, 0, 0)


def test_failures_are_recorded_and_cleared_on_success(db_url):
    store = Store.connect(db_url)
    store.prepare()
    store.register_targets([1, 2, 3])
    store.write_batch([], [Failure(2, "read", "InvalidLightCurveFileError", "bad file")],
                      "r", "h")
    status = store.status()
    assert (status.done, status.failed, status.pending) == (0, 1, 2)
    assert status.failures_by_reason == {"InvalidLightCurveFileError": 1}
    store.write_batch([_row(2, 1.0)], [], "r", "h")
    assert store.failed_target_ids() == set()
    assert store.done_target_ids("h") == {"KIC 2"}
    assert store.done_target_ids("other settings") == set()


def test_missing_column_stops_before_work_with_alter_table(db_url):
    engine = _engine(db_url)
    metadata = build_metadata()
    features = metadata.tables["features"]
    features._columns.remove(features.c.centroid_rms_motion)  # an old deployment's table
    features.create(engine)
    engine.dispose()
    store = Store.connect(db_url)
    with pytest.raises(SchemaMismatchError) as info:
        store.prepare()
    message = str(info.value)
    assert "features.centroid_rms_motion is missing" in message
    assert "ALTER TABLE features ADD COLUMN centroid_rms_motion" in message
    # nothing was created or written
    assert "runs" not in inspect(store.engine).get_table_names()


def test_unknown_column_is_left_alone_with_one_warning(db_url, caplog):
    store = Store.connect(db_url)
    store.prepare()
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE features ADD COLUMN my_notes TEXT"))
    again = Store.connect(db_url)
    warnings = again.prepare()
    assert sum("my_notes" in w for w in warnings) == 1
    again.write_batch([_row(5, 1.0)], [], "r", "h")
    assert len(again.feature_rows()) == 1


def test_a_table_without_the_newest_extras_takes_rows_and_upgrade_adds_them(db_url):
    """A features table from before the flare extras: rows are written without them (one
    warning names them), and `db upgrade` adds the columns the next rows fill."""
    flare_extras = ("shape_flare_rate", "shape_flare_flux_fraction")
    engine = _engine(db_url)
    features = build_metadata().tables["features"]
    for name in flare_extras:
        features._columns.remove(features.c[name])
    features.create(engine)
    engine.dispose()
    row = _row(3342467, 1.0)
    row.extras = dict.fromkeys(EXTRA_NAMES, 0.25)
    store = Store.connect(db_url)
    warnings = store.prepare()
    assert any("optional columns" in w and all(n in w for n in flare_extras) for w in warnings)
    store.write_batch([row], [], "r", "h")
    assert store.feature_rows()[0]["transit_bls_snr"] == 0.25
    statements = store.upgrade()
    assert all(any(f"ADD COLUMN {n} " in s for s in statements) for n in flare_extras)
    assert store.prepare() == []
    store.write_batch([row], [], "r", "h")
    stored = store.feature_rows()[0]
    assert [stored[n] for n in flare_extras] == [0.25, 0.25]
    store.close()


def test_unreachable_database_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="cannot connect"):
        Store.connect("postgresql://postgres@127.0.0.1:1/none")
    with pytest.raises(ConfigurationError, match="lcfeat writes to SQLite or PostgreSQL"):
        Store.connect("nosuchdb://x")


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _set_stored_version(url: str, value: str) -> None:
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE lcfeat_meta SET value = :v WHERE key = 'schema_version'"),
                     {"v": value})
    engine.dispose()


def test_schema_version_is_stored_and_a_newer_one_is_refused(db_url, capsys):
    from lcfeat.cli import main
    from lcfeat.features.registry import SCHEMA_VERSION

    store = Store.connect(db_url)
    store.prepare()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM lcfeat_meta WHERE key = 'schema_version'")
                            ).scalar() == str(SCHEMA_VERSION)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE failures"))
    store.close()
    _set_stored_version(db_url, str(SCHEMA_VERSION + 1))

    with pytest.raises(ConfigurationError, match=rf"schema version {SCHEMA_VERSION + 1}, "
                       rf"newer than this lcfeat's {SCHEMA_VERSION}.*upgrade lcfeat"):
        Store.connect(db_url).prepare()
    assert main(["status", "--db", db_url]) == 2
    assert "newer than this lcfeat's" in capsys.readouterr().err
    assert main(["db", "upgrade", "--db", db_url]) == 2  # no downgrade either
    # refused before anything was created or changed
    assert "failures" not in inspect(_engine(db_url)).get_table_names()


def test_older_schema_version_asks_for_db_upgrade_which_migrates(db_url, capsys):
    from lcfeat.cli import main
    from lcfeat.features.registry import SCHEMA_VERSION

    Store.connect(db_url).prepare()
    _set_stored_version(db_url, str(SCHEMA_VERSION - 1))
    with pytest.raises(ConfigurationError, match="older than .*lcfeat db upgrade --db URL"):
        Store.connect(db_url).prepare()
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert f"-> {SCHEMA_VERSION}" in capsys.readouterr().out
    Store.connect(db_url).prepare()  # accepted now
    assert Store.connect(db_url).stored_schema_version() == SCHEMA_VERSION


def test_a_refused_statement_is_raised_at_once_not_retried(db_url, caplog):
    """Only lost or busy connections are retried: a table dropped under lcfeat's feet is a
    plain error, not a minute of back-off ending in 'lost the database'."""
    import logging
    import time

    from sqlalchemy.exc import DBAPIError

    store = Store.connect(db_url, retry_budget=3, retry_base_delay=1.0)
    store.prepare()
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE processing_log"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(DBAPIError):
        store.write_batch([_row(1, 1.0)], [], "r", "h", BatchLog(1, _now()))
    assert time.monotonic() - started < 1.0  # no retry delay was slept
    assert not [r for r in caplog.records if "retry" in r.getMessage()]
    assert store.feature_rows() == []  # the batch's transaction was rolled back whole


def test_a_target_twice_in_one_batch_gives_one_row_with_the_last_values(db_url):
    store = Store.connect(db_url)
    store.prepare()
    store.write_batch([_row(9, 1.0), _row(9, 2.0)],
                      [Failure(8, "read", "E", "first"), Failure(8, "read", "E", "second")],
                      "r", "h", BatchLog(1, _now()))
    rows = store.feature_rows()
    assert [(r["target_id"], r["stat_mean"]) for r in rows] == [("KIC 9", 2.0)]
    assert store.failed_target_ids() == {"KIC 8"}


# ---- what a user can give as --db, and a database lcfeat cannot write ----------------------


@pytest.mark.parametrize("url", ["mysql://user:SECRET@db.example.org/features",
                                 "oracle+cx_oracle://user:SECRET@h/x", "mssql://h/x",
                                 "postgresql+asyncpg://user:SECRET@h/x", "nosuchdb://x",
                                 "sqlite+aiosqlite:///x.db"])
def test_only_sqlite_and_postgresql_urls_are_taken(url):
    with pytest.raises(ConfigurationError) as info:
        Store.connect(url)
    message = str(info.value)
    assert message.startswith("lcfeat writes to SQLite or PostgreSQL")
    assert "sqlite:///path/to/file.db" in message and "postgresql://user:password@host" in message
    assert "SECRET" not in message


@pytest.mark.parametrize("url", ["::::", "postgresql://user:SECRET@host:notaport/db", ""])
def test_a_url_that_does_not_parse_is_a_configuration_error(url):
    with pytest.raises(ConfigurationError) as info:
        Store.connect(url)
    assert "SECRET" not in str(info.value)


def _read_only(url: str) -> str:
    """The same database, opened so that nothing can be written."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg", database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    admin.dispose()
    return url


def test_a_read_only_database_is_refused_before_work_and_still_readable(db_url):
    store = Store.connect(db_url)
    store.prepare()
    store.write_batch([_row(1, 1.0)], [], "r", "h")
    store.close()
    read_only = Store.connect(_read_only(db_url))
    read_only.prepare()  # nothing to create: reading works (lcfeat status)
    assert read_only.status().done == 1
    with pytest.raises(ConfigurationError, match="cannot write to the database.*read-only"):
        read_only.check_writable()
    read_only.close()


def test_a_read_only_empty_database_cannot_be_prepared(tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "empty.db").close()
    store = Store.connect(f"sqlite:///file:{tmp_path / 'empty.db'}?mode=ro&uri=true")
    with pytest.raises(ConfigurationError, match="cannot prepare the tables.*read-only"):
        store.prepare()


def test_retry_waits_never_exceed_the_documented_cap(monkeypatch, caplog):
    """The back-off doubles up to MAX_RETRY_DELAY (30 s), its jitter included: the log once
    showed waits of 31 to 44 s."""
    import logging
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from lcfeat.store import DatabaseUnavailableError, database

    waits: list[float] = []
    monkeypatch.setattr(database.time, "sleep", waits.append)
    monkeypatch.setattr(database.random, "random", lambda: 0.999)  # the largest jitter
    store = Store.connect("sqlite://", retry_budget=12, retry_base_delay=0.5)

    def locked() -> None:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    with caplog.at_level(logging.WARNING, logger="lcfeat.store.database"), \
            pytest.raises(DatabaseUnavailableError):
        store._with_retry("writing a batch", locked)
    assert len(waits) == 11
    assert max(waits) <= database.MAX_RETRY_DELAY
    assert waits[-1] == database.MAX_RETRY_DELAY  # reached, not exceeded
    logged = [float(r.getMessage().rsplit(" in ", 1)[1].removesuffix(" s"))
              for r in caplog.records]
    assert max(logged) <= database.MAX_RETRY_DELAY


def test_a_failure_message_does_not_repeat_its_target():
    assert Failure(5, "fetch", "FetchError", "KIC 5: no long-cadence files").message == (
        "no long-cadence files")
    assert Failure(5, "read", "E", "KIC 55: other star").message == "KIC 55: other star"
