"""The store against a real PostgreSQL server: drop-in use of the deployed tables, lost
connections, schema versions, and the same rows as SQLite for the same input."""

from __future__ import annotations

import logging
import math
import sqlite3
import struct
import threading
import time
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url

from lcfeat.cli import main
from lcfeat.features.extract import FeatureRow
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES
from lcfeat.store import BatchLog, DatabaseUnavailableError, Failure, Store
from lcfeat.store.schema import build_metadata
from tests.conftest import ARCHIVE

# ---- helpers ---------------------------------------------------------------------------------


def _row(kepler_id: int, value: float, null: str | None = None) -> FeatureRow:
    """A row whose every feature is `value` (distinct per target), `null` left NULL."""
    values: dict[str, float | None] = {name: value for name in FEATURE_NAMES}
    reasons = {}
    if null:
        values[null] = None
        reasons[null] = "no stellar radius"
    return FeatureRow(kepler_id=kepler_id, values=values, null_reasons=reasons,
                      extras={name: value for name in EXTRA_NAMES}, n_points=1000 + kepler_id,
                      duration_days=90.0, quarters=(2, 5), extraction_seconds=1.25)


def _engine(url: str):
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"))


def _admin_engine(url: str):
    """A connection to the server's maintenance database: the 'second connection'."""
    return create_engine(make_url(url).set(drivername="postgresql+psycopg",
                                           database="postgres"), isolation_level="AUTOCOMMIT")


def _query(url: str, sql: str, **params):
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = _engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _create_deployed_tables(url: str, features_key: str = "serial id, unique target_id",
                            targets_unique: bool = True) -> None:
    """The tables of the deployed Supabase project as FEATURES.md describes them (no lcfeat
    column at all), with rows the old pipeline wrote."""
    floats = ",\n".join(f"  {name} double precision" for name in FEATURE_NAMES)
    key = ("id serial PRIMARY KEY, target_id text NOT NULL UNIQUE"
           if features_key == "serial id, unique target_id" else "target_id text PRIMARY KEY")
    targets_key = "text NOT NULL UNIQUE" if targets_unique else "text NOT NULL"
    ddl = f"""
    CREATE TABLE features (
      {key},
    {floats},
      extraction_time_seconds double precision,
      n_features_valid integer,
      n_features_total integer,
      created_at timestamptz DEFAULT now()
    );
    CREATE TABLE targets (
      id serial PRIMARY KEY,
      target_id {targets_key},
      mission text DEFAULT 'kepler',
      n_points integer,
      duration_days double precision,
      features_extracted boolean DEFAULT false,
      features_extracted_at timestamptz,
      st_cdpp3_0 double precision, st_cdpp6_0 double precision, st_cdpp12_0 double precision,
      st_crowding double precision, st_teff double precision, st_rad double precision,
      st_mass double precision, koi_count integer,
      created_at timestamptz DEFAULT now()
    );
    CREATE TABLE processing_log (
      id serial PRIMARY KEY,
      batch_number integer,
      targets_processed integer,
      targets_succeeded integer,
      targets_failed integer,
      avg_download_time double precision,
      avg_extraction_time double precision,
      started_at timestamptz,
      completed_at timestamptz,
      notes text
    );
    INSERT INTO features (target_id, stat_mean, n_features_valid, n_features_total)
      VALUES ('KIC 8081256', 0.25, 1, 63);
    INSERT INTO targets (target_id, mission, features_extracted, st_teff, st_rad, koi_count)
      VALUES ('KIC 8081256', 'kepler', true, 5100, 0.8, 0),
             ('KIC 11904151', 'kepler', false, 5627, 1.065, 1);
    INSERT INTO processing_log (batch_number, targets_processed, targets_succeeded,
                                targets_failed, notes)
      VALUES (1, 1, 1, 0, 'old pipeline');
    """
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(text(ddl))
    engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


# ---- drop-in use of the deployed database ------------------------------------------------


@pytest.mark.parametrize(("features_key", "targets_unique"), [
    ("serial id, unique target_id", True),   # the Supabase shape
    ("target_id primary key", False),        # a variant: targets without a unique key
])
def test_writes_into_the_deployed_tables_where_old_sql_looks(postgres_url, features_key,
                                                              targets_unique):
    _create_deployed_tables(postgres_url, features_key, targets_unique)
    deployed = {t: _columns(postgres_url, t) for t in ("features", "targets", "processing_log")}

    store = Store.connect(postgres_url)
    warnings = store.prepare()
    assert any("lacks lcfeat's optional columns" in w and "settings_hash" in w
               for w in warnings)
    assert any("targets has no unique constraint" in w for w in warnings) != targets_unique
    store.register_targets([11904151, 3342467, 9726699])
    store.write_batch([_row(11904151, 0.5), _row(3342467, 0.75, "transit_bls_depth")], [],
                      "run-1", "h", BatchLog(1, _now(), 0.1, 2.0, "run run-1"))
    # the same target again (a rerun) and a failure, in a second batch
    store.write_batch([_row(11904151, 1.5)],
                      [Failure(9726699, "read", "InvalidLightCurveFileError", "bad file")],
                      "run-1", "h", BatchLog(2, _now(), 0.2, None, "run run-1"))

    # the SQL of the old dashboards finds the rows
    assert _query(postgres_url, "SELECT stat_mean, freq_dominant_period, n_features_valid, "
                  "n_features_total FROM features WHERE target_id = 'KIC 11904151'") == [
        (1.5, 1.5, 63, 63)]
    assert _query(postgres_url, "SELECT transit_bls_depth, n_features_valid FROM features "
                  "WHERE target_id = 'KIC 3342467'") == [(None, 62)]
    assert _query(postgres_url, "SELECT stat_mean FROM features "
                  "WHERE target_id = 'KIC 8081256'") == [(0.25,)]  # old row untouched
    extracted = dict(_query(postgres_url, "SELECT target_id, features_extracted FROM targets "
                            "WHERE features_extracted_at IS NOT NULL"))
    assert extracted == {"KIC 11904151": True, "KIC 3342467": True}
    assert _query(postgres_url, "SELECT features_extracted FROM targets "
                  "WHERE target_id = 'KIC 9726699'") == [(False,)]
    # the old pipeline's catalog columns survive lcfeat's upserts, and no target is doubled
    assert _query(postgres_url, "SELECT st_teff, st_rad, koi_count, n_points FROM targets "
                  "WHERE target_id = 'KIC 11904151'") == [(5627.0, 1.065, 1, 1000 + 11904151)]
    assert _query(postgres_url, "SELECT count(*), count(DISTINCT target_id) FROM targets") == [
        (4, 4)]
    assert _query(postgres_url, "SELECT count(*) FROM features") == [(3,)]
    # one processing_log row per batch, after the old pipeline's
    assert _query(postgres_url, "SELECT batch_number, targets_processed, targets_succeeded, "
                  "targets_failed FROM processing_log WHERE notes = 'run run-1' "
                  "ORDER BY id") == [(1, 2, 2, 0), (2, 2, 1, 1)]
    # the deployed tables keep their shape; lcfeat's own tables sit beside them
    assert {t: _columns(postgres_url, t) for t in deployed} == deployed
    assert {"runs", "failures", "lcfeat_meta"} <= set(inspect(store.engine).get_table_names())
    # without lcfeat's settings_hash a row cannot be told from the old pipeline's: no resume
    assert store.done_target_ids("h") == set()
    store.close()


def test_cli_run_end_to_end_into_the_deployed_tables(postgres_url, tmp_path, capsys):
    """`lcfeat run` into the deployed tables; the same run into SQLite gives the same values."""
    _create_deployed_tables(postgres_url)
    deployed_columns = ", ".join([*FEATURE_NAMES, "n_features_valid", "n_features_total"])
    sqlite_url = f"sqlite:///{tmp_path / 'same.db'}"
    for url in (postgres_url, sqlite_url):
        code = main(["run", "--archive", str(ARCHIVE), "--targets", "11904151", "--db", url,
                     "--workers", "1", "--quiet"])
        assert code == 0, capsys.readouterr()
    rows = _query(postgres_url, f"SELECT {deployed_columns} FROM features "
                  "WHERE target_id = 'KIC 11904151'")
    assert len(rows) == 1
    stored = dict(zip([*FEATURE_NAMES, "n_features_valid", "n_features_total"], rows[0],
                      strict=True))
    # PDCSAP flux divided by its median: the mean of a quiet star is within 1e-3 of one
    assert abs(stored["stat_mean"] - 1.0) < 1e-3 and stored["n_features_total"] == 63
    assert _query(postgres_url, "SELECT features_extracted FROM targets "
                  "WHERE target_id = 'KIC 11904151'") == [(True,)]
    assert _query(postgres_url, "SELECT count(*) FROM processing_log "
                  "WHERE notes IS DISTINCT FROM 'old pipeline'") == [(1,)]
    assert _query(postgres_url, "SELECT status, n_done FROM runs") == [("complete", 1)]
    # the same run into SQLite: the same values, bit for bit
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        same = conn.execute(text(f"SELECT {deployed_columns} FROM features")).all()
    engine.dispose()
    assert [tuple(map(_bits, r)) for r in same] == [tuple(map(_bits, r)) for r in rows]


def test_db_upgrade_adds_lcfeat_columns_to_the_deployed_tables(postgres_url, capsys):
    _create_deployed_tables(postgres_url, targets_unique=False)
    assert main(["db", "upgrade", "--db", postgres_url]) == 0
    out = capsys.readouterr().out
    assert "ALTER TABLE features ADD COLUMN null_reasons TEXT;" in out
    assert "CREATE UNIQUE INDEX ix_targets_target_id ON targets (target_id);" in out
    assert {"null_reasons", "run_id", "settings_hash", "updated_at", "transit_bls_snr"} <= (
        _columns(postgres_url, "features"))
    assert "label" in _columns(postgres_url, "targets")
    assert "run_id" in _columns(postgres_url, "processing_log")
    assert _query(postgres_url, "SELECT value FROM lcfeat_meta WHERE key = 'schema_version'") == [
        ("1",)]
    # now nothing is missing, rows carry their run, and runs resume
    store = Store.connect(postgres_url)
    assert store.prepare() == []
    store.write_batch([_row(11904151, 0.5)], [], "run-2", "h", BatchLog(1, _now()))
    assert _query(postgres_url, "SELECT run_id, settings_hash FROM features "
                  "WHERE target_id = 'KIC 11904151'") == [("run-2", "h")]
    assert store.done_target_ids("h") == {"KIC 11904151"}
    assert _query(postgres_url, "SELECT stat_mean FROM features "
                  "WHERE target_id = 'KIC 8081256'") == [(0.25,)]
    store.close()
    # a second upgrade has nothing to do
    assert main(["db", "upgrade", "--db", postgres_url]) == 0
    assert "0 statement(s) run" in capsys.readouterr().out


def test_db_upgrade_refuses_duplicates_it_cannot_index_and_changes_nothing(postgres_url):
    _create_deployed_tables(postgres_url, targets_unique=False)
    with _engine(postgres_url).begin() as conn:
        conn.execute(text("INSERT INTO targets (target_id) VALUES ('KIC 8081256')"))
    before = _columns(postgres_url, "features")
    assert main(["db", "upgrade", "--db", postgres_url]) == 2
    assert _columns(postgres_url, "features") == before  # one transaction: all or nothing


# ---- lost connections --------------------------------------------------------------------


def _terminate(admin, pid: int) -> None:
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def test_connection_killed_inside_batches_loses_and_duplicates_nothing(postgres_url, caplog):
    """The backend is terminated from a second connection in the middle of a batch's
    transaction (after its first upserts), twice in a row for one batch: the batch is rolled
    back, retried on a new connection, and written exactly once."""
    store = Store.connect(postgres_url, retry_budget=4, retry_base_delay=0.01)
    store.prepare()
    admin = _admin_engine(postgres_url)
    statements = 0
    kill_at = {3, 9, 10}  # statement numbers; 9 and 10 hit the same batch twice

    @event.listens_for(store.engine, "before_cursor_execute")
    def kill_own_backend(conn, cursor, statement, parameters, context, executemany):
        nonlocal statements
        statements += 1
        if statements in kill_at:
            _terminate(admin, conn.connection.dbapi_connection.info.backend_pid)

    n_batches, per_batch = 6, 20
    ids = list(range(1000, 1000 + n_batches * per_batch))
    with caplog.at_level(logging.WARNING, logger="lcfeat.store.database"):
        for number in range(n_batches):
            chunk = ids[number * per_batch:(number + 1) * per_batch]
            store.write_batch([_row(k, float(k)) for k in chunk], [], "run", "h",
                              BatchLog(number + 1, _now()))
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == len(kill_at)
    assert all("terminat" in r.getMessage() or "closed" in r.getMessage() for r in retries)
    rows = _query(postgres_url, "SELECT target_id, stat_mean FROM features")
    assert sorted(rows) == sorted((f"KIC {k}", float(k)) for k in ids)
    assert _query(postgres_url, "SELECT batch_number, count(*) FROM processing_log "
                  "GROUP BY batch_number ORDER BY batch_number") == [
        (n, 1) for n in range(1, n_batches + 1)]
    store.close()
    admin.dispose()


def test_connections_killed_at_random_during_a_stream_of_batches(postgres_url, caplog):
    """A second connection kills every backend of the database at random moments while
    batches are written back to back: every row arrives once, every batch is logged once."""
    # a budget the killer's 8 kills cannot exhaust, however they fall
    store = Store.connect(postgres_url, retry_budget=12, retry_base_delay=0.01)
    store.prepare()
    admin = _admin_engine(postgres_url)
    name = make_url(postgres_url).database
    writing = threading.Event()
    done = threading.Event()
    killed: list[int] = []

    def killer() -> None:
        writing.wait(10)
        for pause in (0.03, 0.05, 0.02, 0.07, 0.04, 0.06, 0.03, 0.05):
            if done.wait(pause):
                return
            with admin.connect() as conn:
                pids = conn.execute(text("SELECT pid FROM pg_stat_activity "
                                         "WHERE datname = :name"), {"name": name}).scalars()
                for pid in pids.all():
                    if conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                                    {"pid": pid}).scalar():
                        killed.append(pid)

    thread = threading.Thread(target=killer)
    thread.start()
    n_batches, per_batch = 60, 25
    try:
        with caplog.at_level(logging.WARNING, logger="lcfeat.store.database"):
            for number in range(n_batches):
                writing.set()
                chunk = range(number * per_batch, (number + 1) * per_batch)
                store.write_batch([_row(k + 1, float(k)) for k in chunk], [], "run", "h",
                                  BatchLog(number + 1, _now()))
    finally:
        done.set()
        thread.join()
    assert killed, "the killer found backends to terminate"
    assert _query(postgres_url, "SELECT count(*), count(DISTINCT target_id), sum(stat_mean) "
                  "FROM features") == [(n_batches * per_batch, n_batches * per_batch,
                                        sum(range(n_batches * per_batch)))]
    assert _query(postgres_url, "SELECT count(*), count(DISTINCT batch_number) "
                  "FROM processing_log") == [(n_batches, n_batches)]
    store.close()
    admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_commit_acknowledgement_lost_does_not_write_the_batch_twice(backend, tmp_path,
                                                                     request, caplog):
    """The server commits but the connection drops before the client hears it: the retry
    must notice the batch is already there rather than log it a second time."""
    url = (f"sqlite:///{tmp_path / 'x.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_url"))
    store = Store.connect(url, retry_budget=3, retry_base_delay=0.01)
    store.prepare()
    dialect = store.engine.dialect
    real_commit = dialect.do_commit
    lost = []
    error = (psycopg.OperationalError("server closed the connection unexpectedly")
             if backend == "postgresql" else sqlite3.OperationalError("database is locked"))

    def commit_then_lose_the_reply(dbapi_connection):
        real_commit(dbapi_connection)
        if not lost:
            lost.append(True)
            raise error

    dialect.do_commit = commit_then_lose_the_reply
    with caplog.at_level(logging.INFO, logger="lcfeat.store.database"):
        store.write_batch([_row(7, 1.0)], [], "run", "h", BatchLog(1, _now()))
    assert lost
    assert any("committed before the connection was lost" in r.getMessage()
               for r in caplog.records)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM processing_log")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM features")).scalar() == 1
    engine.dispose()
    store.close()


def test_gives_up_with_a_clear_error_and_keeps_what_was_committed(postgres_url):
    store = Store.connect(postgres_url, retry_budget=3, retry_base_delay=0.01)
    store.prepare()
    for number in range(3):
        store.write_batch([_row(100 + 10 * number + i, 1.0) for i in range(10)], [], "run",
                          "h", BatchLog(number + 1, _now()))
    admin = _admin_engine(postgres_url)
    name = make_url(postgres_url).database
    with admin.connect() as conn:  # the server goes away for this database
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :name"), {"name": name})
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailableError) as info:
        store.write_batch([_row(900 + i, 2.0) for i in range(10)], [], "run", "h",
                          BatchLog(4, _now()))
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "while writing a batch" in message and "after 3 attempts" in message
    assert "run the same command again to resume" in message
    assert "password" not in message
    with admin.connect() as conn:  # the server is back
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    assert _query(postgres_url, "SELECT count(*) FROM features") == [(30,)]
    assert _query(postgres_url, "SELECT count(*) FROM processing_log") == [(3,)]
    # the same store carries on: the failed batch is written on the next attempt
    store.write_batch([_row(900 + i, 2.0) for i in range(10)], [], "run", "h",
                      BatchLog(4, _now()))
    assert _query(postgres_url, "SELECT count(*) FROM features") == [(40,)]
    assert store.done_target_ids("h") >= {f"KIC {900 + i}" for i in range(10)}
    store.close()
    admin.dispose()


# ---- the same rows in SQLite and PostgreSQL ----------------------------------------------

#: Values that go wrong when a store rounds, casts or formats: thirds, the smallest subnormal,
#: the largest double, negative zero, values near 1 that differ in the last bit.
AWKWARD = [1 / 3, 5e-324, 1.7976931348623157e308, -0.0, 1.0000000000000002,
           0.9999999999999999, -123456.789e-300, math.pi, 0.1 + 0.2, 2.0**53 + 2]


def _awkward_rows() -> list[FeatureRow]:
    rows = []
    for index, kepler_id in enumerate((757076, 11904151, 100000000, 1)):
        values = {name: AWKWARD[(index + position) % len(AWKWARD)]
                  for position, name in enumerate(FEATURE_NAMES)}
        reasons = {}
        for name in FEATURE_NAMES[index::17]:
            values[name] = None
            reasons[name] = f"too few points (n = {index}) – ünïcode “quoted”"
        rows.append(FeatureRow(kepler_id=kepler_id, values=values, null_reasons=reasons,
                               extras={n: AWKWARD[index] for n in EXTRA_NAMES},
                               n_points=index * 1000, duration_days=AWKWARD[index + 1],
                               quarters=tuple(range(index + 1)),
                               extraction_seconds=AWKWARD[index + 2]))
    return rows


def _bits(value):
    return struct.pack("<d", value) if isinstance(value, float) else value


def _table(url: str, name: str, key: str) -> list[dict]:
    """Every row of an lcfeat table, read with the column types (SQLite keeps datetimes as
    text), with floats as their 8 bytes so that 0.0 and -0.0 or last-bit changes differ."""
    table = build_metadata().tables[name]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c[key]))]
    engine.dispose()
    for row in rows:
        row.pop("id", None)  # a serial key numbers rows in each database its own way
        for name, value in row.items():
            if isinstance(value, datetime) and value.tzinfo is None:
                row[name] = value.replace(tzinfo=UTC)  # SQLite keeps no zone: lcfeat writes UTC
            row[name] = _bits(row[name])
    return rows


def test_same_input_gives_the_same_tables_in_sqlite_and_postgresql(postgres_url, tmp_path,
                                                                   monkeypatch):
    frozen = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    monkeypatch.setattr("lcfeat.store.database._now", lambda: frozen)
    urls = {"sqlite": f"sqlite:///{tmp_path / 'same.db'}", "postgresql": postgres_url}
    rows = _awkward_rows()
    for url in urls.values():
        store = Store.connect(url)
        store.prepare()
        store.register_targets([r.kepler_id for r in rows] + [5, 6])
        store.write_batch(rows[:2], [Failure(5, "read", "NoUsableDataError", "all masked")],
                          "run-x", "hash-x", BatchLog(1, frozen, 0.5, 1.5, "run run-x"))
        store.write_batch(rows[2:], [Failure(6, "fetch", "FetchError", "HTTP 404 – ü")],
                          "run-x", "hash-x", BatchLog(2, frozen, None, 2.5, "run run-x"))
        store.close()
    for table, key in (("features", "target_id"), ("targets", "target_id"),
                       ("failures", "target_id"), ("processing_log", "batch_number")):
        assert _table(urls["sqlite"], table, key) == _table(urls["postgresql"], table, key), table
    # and the values are the input, bit for bit, except that negative zero is stored as zero
    # (SQLite cannot keep its sign, so the store writes 0.0 in both)
    for url in urls.values():
        stored = {r["target_id"]: r for r in _table(url, "features", "target_id")}
        for row in rows:
            for name in FEATURE_NAMES:
                value = row.values[name]
                expected = None if value is None else _bits(value + 0.0)
                assert stored[row.target_id][name] == expected, (url, name)


# ---- start-up: runs starting together, backends lost while the tables are made -----------


def _reset_schema(url: str) -> None:
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _prepare_together(url: str, runs: int) -> list[BaseException]:
    """`runs` stores call prepare() at the same moment; the errors they raised."""
    stores = [Store.connect(url) for _ in range(runs)]
    start = threading.Barrier(runs)
    errors: list[BaseException] = []

    def prepare(store: Store) -> None:
        start.wait()
        try:
            store.prepare()
        except BaseException as exc:  # collected and reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=prepare, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return errors


def test_first_runs_starting_together_on_an_empty_database_all_prepare_it(postgres_url):
    """Several runs (one per machine) start at the same moment on an empty database: every
    one prepares it, none trips over another's CREATE TABLE (pg_type's unique index)."""
    for _ in range(3):
        _reset_schema(postgres_url)
        errors = _prepare_together(postgres_url, runs=4)
        assert not errors, errors
        assert _query(postgres_url, "SELECT value FROM lcfeat_meta") == [("1",)]


def test_two_first_runs_at_once_into_an_empty_database_both_finish(postgres_url, tmp_path):
    """Two real `lcfeat run` processes started together into one empty database."""
    import subprocess
    import sys

    commands = [[sys.executable, "-m", "lcfeat.cli", "run", "--archive", str(ARCHIVE),
                 "--targets", str(kic), "--db", postgres_url, "--workers", "1", "--quiet"]
                for kic in (11904151, 10001893)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for command in commands]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert all("Traceback" not in output for output in outputs)
    assert sorted(_query(postgres_url, "SELECT target_id FROM features")) == [
        ("KIC 10001893",), ("KIC 11904151",)]
    assert sorted(_query(postgres_url, "SELECT status FROM runs")) == [("complete",),
                                                                        ("complete",)]


def test_a_backend_killed_while_the_tables_are_made_is_retried(postgres_url, caplog):
    """The backend of the start-up connection is terminated at one statement after another
    of `prepare()` (reading the catalog, taking the lock, creating tables, recording the
    version): each time the start-up reconnects and finishes, as a batch would."""
    admin = _admin_engine(postgres_url)
    counting = Store.connect(postgres_url)
    total = 0

    @event.listens_for(counting.engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        nonlocal total
        total += 1

    counting.prepare()
    counting.close()
    for kill_at in sorted({1, 2, 3, 4, 5, total // 2, total - 1, total}):
        _reset_schema(postgres_url)
        store = Store.connect(postgres_url, retry_budget=4, retry_base_delay=0.01)
        with caplog.at_level(logging.WARNING, logger="lcfeat.store.database"):
            statements = _prepare_killing_at(store, admin, kill_at)
        assert statements > kill_at, kill_at
        assert any("while preparing the tables" in r.getMessage() for r in caplog.records)
        caplog.clear()
        store.register_targets([11904151])  # and it is usable
        store.close()
        assert _query(postgres_url, "SELECT value FROM lcfeat_meta") == [("1",)], kill_at
    admin.dispose()


def _prepare_killing_at(store: Store, admin, kill_at: int) -> int:
    """store.prepare(), its backend terminated at statement `kill_at`; statements run."""
    statements = 0

    @event.listens_for(store.engine, "before_cursor_execute")
    def kill_own_backend(conn, cursor, statement, parameters, context, executemany):
        nonlocal statements
        statements += 1
        if statements == kill_at:
            _terminate(admin, conn.connection.dbapi_connection.info.backend_pid)

    store.prepare()
    return statements


def test_lcfeat_run_survives_a_backend_killed_during_start_up(postgres_url, capsys):
    """The same through `lcfeat run`: no AdminShutdown traceback, the run completes."""
    from sqlalchemy.engine import Engine

    admin = _admin_engine(postgres_url)
    statements = 0

    def kill_once(conn, cursor, statement, parameters, context, executemany):
        nonlocal statements
        statements += 1
        if statements == 6:
            _terminate(admin, conn.connection.dbapi_connection.info.backend_pid)

    event.listen(Engine, "before_cursor_execute", kill_once)
    try:
        code = main(["run", "--archive", str(ARCHIVE), "--targets", "11904151", "--db",
                     postgres_url, "--workers", "1", "--quiet"])
    finally:
        event.remove(Engine, "before_cursor_execute", kill_once)
        admin.dispose()
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err and statements > 6
    assert _query(postgres_url, "SELECT target_id FROM features") == [("KIC 11904151",)]
