"""The feature store: SQLite or PostgreSQL through SQLAlchemy Core, one row per target.

Every batch is written in one transaction (features upserted, targets marked, failures recorded,
one processing_log row), so a crash loses at most the batch in flight. Lost connections are
retried with back-off; what was committed stays committed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from lcfeat.config import redact
from lcfeat.errors import ConfigurationError, LcfeatError, SchemaMismatchError
from lcfeat.features.extract import FeatureRow
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES, SCHEMA_VERSION
from lcfeat.store.records import BatchLog, Failure
from lcfeat.store.schema import DEPLOYED_FEATURE_METADATA, build_metadata
from lcfeat.targets.ids import format_target_id, quoted

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Tables whose rows are keyed by `target_id` (upserted).
KEYED_TABLES = ("features", "targets", "failures")
#: Longest wait between two reconnection attempts, seconds (jitter included).
MAX_RETRY_DELAY = 30.0
#: The URL forms lcfeat writes to, as an error message shows them.
URL_FORMS = ("sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname "
             "(postgres:// and postgresql+psycopg:// too)")
#: Key of the PostgreSQL advisory lock that serialises creating and upgrading the tables.
_SCHEMA_LOCK_KEY = 0x6C63_6665_6174  # "lcfeat"


class DatabaseUnavailableError(LcfeatError):
    """The database stayed unreachable for the whole retry budget; committed batches are safe."""

#: Columns a table must have for lcfeat to write into it at all (the deployed contract).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "features": ("target_id", *FEATURE_NAMES, *DEPLOYED_FEATURE_METADATA),
    "targets": ("target_id", "mission", "n_points", "duration_days", "features_extracted",
                "features_extracted_at"),
    "processing_log": ("batch_number", "targets_processed", "targets_succeeded",
                       "targets_failed", "avg_download_time", "avg_extraction_time",
                       "started_at", "completed_at", "notes"),
}


@dataclass
class StoreStatus:
    done: int
    failed: int
    pending: int
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    fill_rate: dict[str, float] = field(default_factory=dict)
    mean_stat_mean: float | None = None
    last_update: datetime | None = None


def _sql_type(column: Any, dialect: Any) -> str:
    return column.type.compile(dialect=dialect)


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """A database holding lcfeat's tables. Create with `Store.connect(url)`."""

    def __init__(self, engine: Engine, retry_budget: int = 8, retry_base_delay: float = 0.5):
        self.engine = engine
        self.metadata = build_metadata()
        self.tables: dict[str, Table] = dict(self.metadata.tables)
        # attempts per write; the waits double from retry_base_delay up to MAX_RETRY_DELAY
        # (jittered), so the default budget rides out one to two minutes of server restart
        self.retry_budget = retry_budget
        self.retry_base_delay = retry_base_delay
        # per table: the columns that exist in the database (lcfeat writes only those)
        self._present: dict[str, set[str]] = {}
        # keyed tables whose target_id has no unique constraint or index (a deployed table
        # may lack one): ON CONFLICT needs one, so these are written by update-then-insert
        self._no_unique_key: set[str] = set()

    # ---- connection -----------------------------------------------------------------------
    @classmethod
    def connect(cls, url: str, **kwargs: Any) -> Store:
        engine = make_engine(url)
        try:
            with engine.connect():
                pass
        except (OperationalError, DBAPIError) as exc:
            raise ConfigurationError(
                f"cannot connect to database {_redact(url)}: {_first_line(exc)}"
            ) from None
        return cls(engine, **kwargs)

    @property
    def url(self) -> str:
        return _redact(str(self.engine.url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def _with_retry(self, what: str, action: Callable[[], T]) -> T:
        """Run `action`; on a lost connection reconnect with back-off, up to the budget.

        `action` must be one transaction (all or nothing), so running it again after a
        failure cannot duplicate anything. Raises `DatabaseUnavailableError` when the budget
        is spent; other database errors (constraint violations, bad SQL) are not retried.
        """
        started = time.monotonic()
        for attempt in range(1, self.retry_budget + 1):
            try:
                return action()
            except DBAPIError as exc:
                if not _is_transient(exc):
                    raise
                reason = _first_line(exc)
                if attempt == self.retry_budget:
                    raise DatabaseUnavailableError(
                        f"lost the database {self.url} while {what} and could not get it back "
                        f"after {attempt} attempts over {time.monotonic() - started:.0f} s "
                        f"({reason}); every batch committed before is intact: run the same "
                        "command again to resume"
                    ) from exc
                # jittered, and capped after the jitter: no wait is longer than documented
                delay = min(MAX_RETRY_DELAY,
                            self.retry_base_delay * 2 ** (attempt - 1) * (1 + random.random()))
                log.warning("database error while %s (%s); retry %d/%d in %.1f s",
                            what, reason, attempt, self.retry_budget - 1, delay)
                self.engine.dispose()  # drop every pooled connection: they share the fate
                time.sleep(delay)
        raise AssertionError("unreachable")

    # ---- schema ---------------------------------------------------------------------------
    def prepare(self) -> list[str]:
        """Check existing tables against the registry, then create the missing ones.

        Returns warnings (unknown columns, lcfeat's own columns missing). Raises
        `SchemaMismatchError` naming each missing required column with its `ALTER TABLE`,
        and `ConfigurationError` for a database of another schema version or one lcfeat
        cannot create its tables in (read-only); in both cases before anything is written.

        Safe when several runs start together on one database (the creation is serialised),
        and retried like a batch when the connection is lost on the way.
        """
        self._present.clear()
        try:
            warnings = self._with_retry("preparing the tables", self._prepare)
        except DBAPIError as exc:
            raise ConfigurationError(
                f"cannot prepare the tables of {self.url}: {_first_line(exc)}"
                + (" (the database is read-only)" if _is_read_only(exc) else "")
            ) from None
        for message in warnings:
            log.warning(message)
        return warnings

    def check_writable(self) -> None:
        """ConfigurationError if lcfeat cannot write to the database (a read-only file, a
        read-only user or replica): found before a run starts, not at its first batch."""
        meta = self.tables["lcfeat_meta"]

        def action() -> None:
            with self.engine.connect() as conn, conn.begin() as transaction:
                # A write that changes nothing, rolled back: the database must accept it.
                conn.execute(update(meta).where(meta.c.key == "schema_version")
                             .values(value=meta.c.value))
                transaction.rollback()

        try:
            self._with_retry("checking that the database can be written", action)
        except DBAPIError as exc:
            raise ConfigurationError(
                f"cannot write to the database {self.url}: {_first_line(exc)}"
                + (" (the database is read-only)" if _is_read_only(exc) else "")
            ) from None

    def _prepare(self) -> list[str]:
        self._check_version()
        inspector = inspect(self.engine)
        existing = set(inspector.get_table_names())
        warnings: list[str] = []
        problems: list[str] = []
        self._no_unique_key.clear()
        for name, table in self.tables.items():
            if name not in existing:
                continue
            present = {c["name"].lower() for c in inspector.get_columns(name)}
            known = {c.name for c in table.columns}
            required = set(REQUIRED_COLUMNS.get(name, known))
            for column in table.columns:
                if column.name in required and column.name not in present:
                    problems.append(f"  {name}.{column.name} is missing: "
                                    f"{self._add_column_sql(name, column.name)};")
            own_missing = sorted(known - present - required - _SERIAL_IDS.get(name, set()))
            if own_missing:
                warnings.append(
                    f"table {name} lacks lcfeat's optional columns {', '.join(own_missing)}: "
                    "they are not written; `lcfeat db upgrade` adds them"
                    + ("; without settings_hash a run cannot resume and recomputes every "
                       "requested target" if "settings_hash" in own_missing else "")
                )
            unknown = sorted(present - known - {"id", "created_at"})
            if unknown:
                warnings.append(
                    f"table {name} has columns lcfeat does not know and leaves alone: "
                    f"{', '.join(unknown)}"
                )
            self._present[name] = present & known
            if name in KEYED_TABLES and not _has_unique_key(inspector, name, "target_id"):
                self._no_unique_key.add(name)
                warnings.append(
                    f"table {name} has no unique constraint on target_id: rows are matched by "
                    "update-then-insert (safe for one writer at a time); `lcfeat db upgrade` "
                    "adds the unique index"
                )
        if problems:
            raise SchemaMismatchError(
                "the database's tables lack columns of the feature registry "
                f"(schema version {SCHEMA_VERSION}); add them with these statements or "
                "`lcfeat db upgrade --db URL`:\n" + "\n".join(problems)
            )
        if set(self.tables) - existing or self.stored_schema_version() is None:
            self._create_tables(store_version=True)
        for name, table in self.tables.items():
            self._present.setdefault(name, {c.name for c in table.columns})
        return warnings

    def _create_tables(self, store_version: bool, replace_version: bool = False) -> None:
        """Create lcfeat's missing tables and record the schema version, in one transaction.

        Runs starting together must not trip over each other: on PostgreSQL an advisory lock
        makes them take turns (two CREATE TABLEs racing fail on pg_type even with IF NOT
        EXISTS); SQLite serialises writers itself, and a table another run created between
        the check and the creation is simply found on the next try.
        """
        meta = self.tables["lcfeat_meta"]
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    if self.dialect == "postgresql":
                        conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
                    self.metadata.create_all(conn, checkfirst=True)
                    if replace_version:
                        conn.execute(delete(meta).where(meta.c.key == "schema_version"))
                    if store_version or replace_version:
                        stored = conn.execute(select(meta.c.value).where(
                            meta.c.key == "schema_version")).scalar_one_or_none()
                        if stored is None:
                            conn.execute(meta.insert().values(key="schema_version",
                                                              value=str(SCHEMA_VERSION)))
                return
            except DBAPIError as exc:
                if attempt == 2 or not _created_meanwhile(exc):
                    raise

    def stored_schema_version(self) -> int | None:
        """The schema version recorded in `lcfeat_meta`, or None for a database without one."""
        if "lcfeat_meta" not in inspect(self.engine).get_table_names():
            return None
        meta = self.tables["lcfeat_meta"]
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(meta.c.value).where(meta.c.key == "schema_version")
            ).scalar_one_or_none()
        return None if stored is None else int(stored)

    def _check_version(self) -> None:
        stored = self.stored_schema_version()
        if stored is None or stored == SCHEMA_VERSION:
            return
        if stored > SCHEMA_VERSION:
            raise ConfigurationError(
                f"the database {self.url} has schema version {stored}, newer than this "
                f"lcfeat's {SCHEMA_VERSION} (lcfeat {_lcfeat_version()}): upgrade lcfeat "
                "(pip install -U lcfeat) to read or write it"
            )
        raise ConfigurationError(
            f"the database {self.url} has schema version {stored}, older than this lcfeat's "
            f"{SCHEMA_VERSION}: run `lcfeat db upgrade --db URL` to migrate it"
        )

    def _add_column_sql(self, table_name: str, column_name: str) -> str:
        column = self.tables[table_name].c[column_name]
        return (f"ALTER TABLE {table_name} ADD COLUMN {column_name} "
                f"{_sql_type(column, self.engine.dialect)}")

    def upgrade(self) -> list[str]:
        """Migrate the database to this lcfeat's schema; returns the statements it ran.

        Adds every missing column (lcfeat's optional ones included) and a unique index on
        `target_id` where a deployed table has none, creates lcfeat's own tables, and records
        the schema version. Refuses a database of a newer schema version.
        """
        stored = self.stored_schema_version()
        if stored is not None and stored > SCHEMA_VERSION:
            self._check_version()  # raises the "upgrade lcfeat" message
        inspector = inspect(self.engine)
        existing = set(inspector.get_table_names())
        statements: list[str] = []
        for name, table in self.tables.items():
            if name not in existing:
                continue
            present = {c["name"].lower() for c in inspector.get_columns(name)}
            for column in table.columns:
                if column.name not in present | _SERIAL_IDS.get(name, set()):
                    statements.append(self._add_column_sql(name, column.name))
            if name in KEYED_TABLES and not _has_unique_key(inspector, name, "target_id"):
                statements.append(
                    f"CREATE UNIQUE INDEX ix_{name}_target_id ON {name} (target_id)")
        try:
            with self.engine.begin() as conn:  # all or nothing (DDL is transactional)
                if self.dialect == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
                for statement in statements:
                    conn.execute(text(statement))
        except DBAPIError as exc:
            raise ConfigurationError(
                f"could not upgrade {self.url}: {_first_line(exc)} (nothing was changed)"
            ) from None
        self._present.clear()
        try:
            self._create_tables(store_version=True, replace_version=True)
        except DBAPIError as exc:
            raise ConfigurationError(f"could not upgrade {self.url}: {_first_line(exc)}"
                                     ) from None
        return statements

    # ---- writing --------------------------------------------------------------------------
    def _insert(self, table: Table) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        raise ConfigurationError(f"unsupported database dialect {self.dialect!r}")

    def _writable(self, table_name: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows restricted to the columns the database's table has."""
        table = self.tables[table_name]
        present = self._present.get(table_name, {c.name for c in table.columns})
        return [{k: v for k, v in row.items() if k in present} for row in rows]

    def _upsert(self, conn: Any, table_name: str, rows: Sequence[dict[str, Any]],
                key: str = "target_id") -> None:
        """Insert rows, or update the row with the same key (INSERT ... ON CONFLICT)."""
        if not rows:
            return
        table = self.tables[table_name]
        # one row per key, the last winning: PostgreSQL refuses to update a row twice in one
        # statement, where SQLite would apply both
        rows = list({row[key]: row for row in self._writable(table_name, rows)}.values())
        if table_name in self._no_unique_key:
            self._update_then_insert(conn, table, rows, key, update_existing=True)
            return
        statement = self._insert(table)
        columns = [c for c in rows[0] if c != key]
        statement = statement.on_conflict_do_update(
            index_elements=[key],
            set_={c: statement.excluded[c] for c in columns},
        )
        conn.execute(statement, rows)

    def _upsert_keep(self, conn: Any, table_name: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows whose key is absent; leave existing rows untouched."""
        if not rows:
            return
        table = self.tables[table_name]
        rows = list({row["target_id"]: row for row in self._writable(table_name, rows)}.values())
        if table_name in self._no_unique_key:
            self._update_then_insert(conn, table, rows, "target_id", update_existing=False)
            return
        statement = self._insert(table).on_conflict_do_nothing(index_elements=["target_id"])
        conn.execute(statement, rows)

    @staticmethod
    def _update_then_insert(conn: Any, table: Table, rows: list[dict[str, Any]], key: str,
                            update_existing: bool) -> None:
        """Upsert without a unique key: update the rows that exist, insert the others."""
        keys = [row[key] for row in rows]
        existing = set(conn.execute(select(table.c[key]).where(table.c[key].in_(keys)))
                       .scalars())
        fresh = [row for row in rows if row[key] not in existing]
        if fresh:
            conn.execute(table.insert(), fresh)
        stale = [row for row in rows if row[key] in existing]
        if update_existing and stale:
            columns = [c for c in stale[0] if c != key]
            statement = (update(table).where(table.c[key] == bindparam(f"{key}_"))
                         .values({c: bindparam(f"{c}_") for c in columns}))
            conn.execute(statement, [{f"{k}_": v for k, v in row.items()} for row in stale])

    #: targets columns filled from the FITS headers' KIC values: FeatureRow.stellar keys
    STELLAR_COLUMNS = {"st_teff": "teff", "st_rad": "radius", "st_logg": "logg",
                       "st_kepmag": "kepmag"}

    def _fill_stellar(self, conn: Any, rows: Sequence[FeatureRow]) -> None:
        """Stellar parameters where the targets row has none (a deployed table's own values,
        perhaps from another catalog, are never overwritten)."""
        targets = self.tables["targets"]
        present = self._present.get("targets", set())
        for column, key in self.STELLAR_COLUMNS.items():
            if column not in present:
                continue
            values = [{"tid": row.target_id, "value": _float(row.stellar[key])}
                      for row in rows if row.stellar.get(key) is not None]
            if values:
                conn.execute(
                    update(targets).where(targets.c.target_id == bindparam("tid"))
                    .values({column: func.coalesce(targets.c[column], bindparam("value"))}),
                    values,
                )

    def register_targets(self, kepler_ids: Iterable[int],
                         labels: dict[int, str] | None = None,
                         mission: str = "kepler") -> None:
        """Add targets not yet known, as not extracted (pending); `kepler_ids` are KIC ids,
        or TIC ids when `mission` is "tess"."""
        labels = labels or {}
        with_label = "label" in self._present.get("targets", set())
        rows = []
        for kepler_id in dict.fromkeys(int(k) for k in kepler_ids):
            row: dict[str, Any] = {"target_id": format_target_id(kepler_id, mission),
                                   "mission": mission, "features_extracted": False}
            if with_label and kepler_id in labels:
                row["label"] = labels[kepler_id]
            rows.append(row)

        def action() -> None:
            with self.engine.begin() as conn:
                # rows with and without a label cannot share one executemany
                self._upsert_keep(conn, "targets", [r for r in rows if "label" in r])
                self._upsert_keep(conn, "targets", [r for r in rows if "label" not in r])

        self._with_retry("registering targets", action)

    def write_batch(
        self,
        rows: Sequence[FeatureRow],
        failures: Sequence[Failure],
        run_id: str | None,
        settings_hash: str | None,
        batch: BatchLog | None = None,
    ) -> None:
        """Upsert a batch of results in one transaction (retried on lost connections).

        Raises `DatabaseUnavailableError` when the connection cannot be restored within the
        retry budget; the batch is then not written and every earlier batch stays committed.
        """
        now = _now()
        feature_rows = [
            _feature_record(row, run_id, settings_hash, now) for row in rows
        ]
        target_rows = [
            {"target_id": row.target_id, "mission": row.mission, "n_points": int(row.n_points),
             "duration_days": _float(row.duration_days), "features_extracted": True,
             "features_extracted_at": now}
            for row in rows
        ]
        failure_rows = [
            {"target_id": f.target_id, "stage": f.stage, "error_type": f.error_type,
             "message": f.message, "attempts": f.attempts, "failed_at": now, "run_id": run_id}
            for f in failures
        ]
        failed_targets = [
            {"target_id": f.target_id, "mission": f.mission, "features_extracted": False}
            for f in failures
        ]
        done_ids = [row.target_id for row in rows]
        log_row = None
        if batch is not None:
            log_row = self._writable("processing_log", [{
                "batch_number": batch.batch_number,
                "targets_processed": len(rows) + len(failures),
                "targets_succeeded": len(rows),
                "targets_failed": len(failures),
                "avg_download_time": _float(batch.avg_download_time),
                "avg_extraction_time": _float(batch.avg_extraction_time),
                "started_at": batch.started_at,
                "completed_at": now,
                "notes": batch.notes,
                "run_id": run_id,
            }])[0]
        attempts = 0

        def action() -> None:
            nonlocal attempts
            attempts += 1
            with self.engine.begin() as conn:
                if attempts > 1 and log_row is not None and self._logged(conn, log_row):
                    # the connection died after COMMIT reached the server: already written
                    log.info("batch %d was committed before the connection was lost",
                             log_row["batch_number"])
                    return
                self._upsert(conn, "features", feature_rows)
                self._upsert(conn, "targets", target_rows)
                self._fill_stellar(conn, rows)
                self._upsert_keep(conn, "targets", failed_targets)
                self._upsert(conn, "failures", failure_rows)
                if done_ids:
                    failures_table = self.tables["failures"]
                    conn.execute(delete(failures_table)
                                 .where(failures_table.c.target_id.in_(done_ids)))
                if log_row is not None:
                    conn.execute(self.tables["processing_log"].insert(), [log_row])

        self._with_retry("writing a batch", action)

    def _logged(self, conn: Any, log_row: dict[str, Any]) -> bool:
        """Whether this exact processing_log row (hence its whole batch) is in the table."""
        table = self.tables["processing_log"]
        identity = ("batch_number", "started_at", "completed_at", "notes", "run_id")
        conditions = [table.c[c] == log_row[c] if log_row[c] is not None else table.c[c].is_(None)
                      for c in identity if c in log_row]
        return conn.execute(select(func.count()).select_from(table).where(*conditions)
                            ).scalar_one() > 0

    # ---- reading --------------------------------------------------------------------------
    def done_target_ids(self, settings_hash: str | None = None) -> set[str]:
        """Targets with a stored row (written with these settings, when given).

        A deployed table without lcfeat's `settings_hash` column cannot tell lcfeat's rows
        from another pipeline's, so with a hash asked for none counts as done (prepare()
        warns; `lcfeat db upgrade` adds the column and makes runs resumable).
        """
        features = self.tables["features"]
        query = select(features.c.target_id)
        if settings_hash is not None:
            if "settings_hash" not in self._present.get("features", {"settings_hash"}):
                return set()
            query = query.where(features.c.settings_hash == settings_hash)
        return self._read("reading finished targets",
                          lambda conn: set(conn.execute(query).scalars()))

    def failed_target_ids(self) -> set[str]:
        failures = self.tables["failures"]
        return self._read("reading failed targets",
                          lambda conn: set(conn.execute(select(failures.c.target_id))
                                           .scalars()))

    def feature_rows(self) -> list[dict[str, Any]]:
        """Every row of `features`, restricted to the columns lcfeat knows and the table has."""
        features = self.tables["features"]
        present = self._present.get("features", {c.name for c in features.columns})
        query = select(*(c for c in features.columns if c.name in present))
        return self._read("reading features",
                          lambda conn: [dict(r._mapping) for r in conn.execute(query)])

    def _read(self, what: str, query: Callable[[Any], T]) -> T:
        def action() -> T:
            with self.engine.connect() as conn:
                return query(conn)

        return self._with_retry(what, action)

    def status(self) -> StoreStatus:
        features = self.tables["features"]
        targets = self.tables["targets"]
        failures = self.tables["failures"]
        with self.engine.connect() as conn:
            done = conn.execute(select(func.count()).select_from(features)).scalar_one()
            failed = conn.execute(select(func.count()).select_from(failures)).scalar_one()
            pending = conn.execute(
                select(func.count()).select_from(targets).where(
                    targets.c.features_extracted.is_not(True),
                    targets.c.target_id.not_in(select(failures.c.target_id)),
                )
            ).scalar_one()
            reasons = dict(
                conn.execute(
                    select(failures.c.error_type, func.count()).group_by(failures.c.error_type)
                ).all()
            )
            counts = conn.execute(
                select(*(func.count(features.c[name]) for name in FEATURE_NAMES))
            ).one()
            mean = conn.execute(select(func.avg(features.c.stat_mean))).scalar_one()
            last = None
            if "updated_at" in self._present.get("features", ()):
                last = conn.execute(select(func.max(features.c.updated_at))).scalar_one()
        fill = {name: (count / done if done else 0.0)
                for name, count in zip(FEATURE_NAMES, counts, strict=True)}
        if isinstance(last, str):  # SQLite returns text for aggregate datetimes
            last = datetime.fromisoformat(last)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return StoreStatus(done=done, failed=failed, pending=pending,
                           failures_by_reason=reasons, fill_rate=fill,
                           mean_stat_mean=float(mean) if mean is not None else None,
                           last_update=last)

    def mark_targets_pending(self, target_ids: Iterable[str]) -> None:
        targets = self.tables["targets"]
        ids = list(target_ids)
        with self.engine.begin() as conn:
            conn.execute(update(targets).where(targets.c.target_id.in_(ids))
                         .values(features_extracted=False))


def _feature_record(row: FeatureRow, run_id: str | None, settings_hash: str | None,
                    now: datetime) -> dict[str, Any]:
    record: dict[str, Any] = {"target_id": row.target_id}
    record.update({name: _float(row.values.get(name)) for name in FEATURE_NAMES})
    record["mission"] = row.mission
    record.update({name: _float(row.extras.get(name)) for name in EXTRA_NAMES})
    record.update(
        extraction_time_seconds=_float(row.extraction_seconds),
        n_features_valid=row.n_valid,
        n_features_total=len(FEATURE_NAMES),
        null_reasons=json.dumps(row.null_reasons, sort_keys=True) if row.null_reasons else None,
        n_points=int(row.n_points),
        duration_days=_float(row.duration_days),
        quarters=",".join(map(str, row.quarters)),
        run_id=run_id,
        schema_version=SCHEMA_VERSION,
        settings_hash=settings_hash,
        updated_at=now,
    )
    return record


def _float(value: Any) -> float | None:
    """A plain Python float (numpy scalars are not every driver's type), with -0.0 written
    as 0.0: SQLite stores an integral REAL as an integer and drops the sign of zero, so
    without this the same run would differ between SQLite and PostgreSQL."""
    return None if value is None else float(value) + 0.0


#: Serial primary keys of deployed tables: lcfeat neither needs nor adds them.
_SERIAL_IDS: dict[str, set[str]] = {"processing_log": {"id"}}


def _has_unique_key(inspector: Any, table_name: str, column: str) -> bool:
    """Whether `column` alone is a primary key, unique constraint or full unique index."""
    if inspector.get_pk_constraint(table_name).get("constrained_columns") == [column]:
        return True
    if any(u["column_names"] == [column] for u in inspector.get_unique_constraints(table_name)):
        return True
    return any(
        index["unique"] and index["column_names"] == [column]
        and not index.get("dialect_options", {}).get("postgresql_where")
        and not index.get("dialect_options", {}).get("sqlite_where")
        for index in inspector.get_indexes(table_name)
    )


#: SQLSTATE classes and codes of errors that another attempt can cure: connection exceptions,
#: server shutting down or starting, too many connections or out of resources, serialization
#: failure and deadlock (the transaction was rolled back).
_TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53", "40001", "40P01")


def _is_transient(exc: DBAPIError) -> bool:
    """Whether a database error is a lost or busy connection (retry) rather than a bug or a
    refused statement (raise at once). SQLite's OperationalError also covers "no such
    table", so only its lock errors count."""
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return "locked" in str(orig) or "busy" in str(orig)
    if hasattr(orig, "sqlstate"):
        state = orig.sqlstate
        if state is None:  # psycopg: a failed or closed connection has no SQLSTATE
            return isinstance(exc, OperationalError)
        return state.startswith(_TRANSIENT_SQLSTATES)
    return isinstance(exc, OperationalError)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    lines = str(orig or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _lcfeat_version() -> str:
    from lcfeat.version import __version__

    return __version__


#: Driver-qualified dialects lcfeat writes to (the only drivers it installs).
_SUPPORTED = {"sqlite": "sqlite", "sqlite+pysqlite": "sqlite",
              "postgresql": "postgresql+psycopg", "postgresql+psycopg": "postgresql+psycopg"}


def make_engine(url: str) -> Engine:
    """An engine for an SQLite or PostgreSQL URL (``postgres://`` and ``postgresql://`` use
    psycopg 3); ConfigurationError, with the accepted forms, for anything else."""
    from sqlalchemy.engine import make_url

    text_url = str(url).strip()
    if text_url.startswith("postgres://"):  # Supabase/Heroku style
        text_url = "postgresql://" + text_url[len("postgres://"):]
    try:
        parsed = make_url(text_url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(
            f"database URL {quoted(redact(str(url)))} is not valid ({exc}): lcfeat writes to "
            f"SQLite or PostgreSQL, {URL_FORMS}") from None
    driver = _SUPPORTED.get(parsed.drivername)
    if driver is None:
        raise ConfigurationError(
            f"lcfeat writes to SQLite or PostgreSQL, not {parsed.drivername}: give --db "
            f"{URL_FORMS} (got {quoted(_redact(text_url))})")
    parsed = parsed.set(drivername=driver)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if driver == "postgresql+psycopg":
        # Supabase's transaction-mode pooler (port 6543) cannot keep prepared statements.
        kwargs["connect_args"] = {"prepare_threshold": None, "connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"database URL {quoted(_redact(text_url))} is not valid: {exc}") from None
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            # a read-only database keeps its journal: reading works, writing is refused later
            with contextlib.suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
    return engine


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return redact(url)


def _is_read_only(exc: DBAPIError) -> bool:
    """A refused write: SQLite's read-only file, PostgreSQL's read-only transaction (25006)
    or missing privilege (42501)."""
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return "readonly" in str(orig) or "read-only" in str(orig)
    return getattr(orig, "sqlstate", None) in ("25006", "42501")


def _created_meanwhile(exc: DBAPIError) -> bool:
    """A table (or its type) that another run created between our check and our CREATE."""
    message = str(exc.orig or exc)
    return "already exists" in message or getattr(exc.orig, "sqlstate", None) in (
        "42P07", "23505")
