"""The feature store: SQLite or PostgreSQL through SQLAlchemy Core, one row per target.

Every batch is written in one transaction (features upserted, targets marked, failures recorded,
one processing_log row), so a crash loses at most the batch in flight. Lost connections are
retried with back-off; what was committed stays committed.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, create_engine, delete, event, func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from lcfeat.errors import ConfigurationError, SchemaMismatchError
from lcfeat.features.extract import FeatureRow, format_target_id
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES, SCHEMA_VERSION
from lcfeat.store.schema import DEPLOYED_FEATURE_METADATA, build_metadata

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Columns a table must have for lcfeat to write into it at all (the deployed contract).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "features": ("target_id", *FEATURE_NAMES, *DEPLOYED_FEATURE_METADATA),
    "targets": ("target_id", "mission", "n_points", "duration_days", "features_extracted",
                "features_extracted_at"),
    "processing_log": ("batch_number", "targets_processed", "targets_succeeded",
                       "targets_failed", "avg_download_time", "avg_extraction_time",
                       "started_at", "completed_at", "notes"),
}


@dataclass(frozen=True)
class Failure:
    kepler_id: int
    stage: str
    error_type: str
    message: str
    attempts: int = 1

    @property
    def target_id(self) -> str:
        return format_target_id(self.kepler_id)


@dataclass
class BatchLog:
    batch_number: int
    started_at: datetime
    avg_download_time: float | None = None
    avg_extraction_time: float | None = None
    notes: str = ""


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

    def __init__(self, engine: Engine, retry_budget: int = 5, retry_base_delay: float = 0.5):
        self.engine = engine
        self.metadata = build_metadata()
        self.tables: dict[str, Table] = dict(self.metadata.tables)
        self.retry_budget = retry_budget
        self.retry_base_delay = retry_base_delay
        # per table: the columns that exist in the database (lcfeat writes only those)
        self._present: dict[str, set[str]] = {}

    # ---- connection -----------------------------------------------------------------------
    @classmethod
    def connect(cls, url: str, **kwargs: Any) -> Store:
        try:
            engine = _make_engine(url)
            with engine.connect():
                pass
        except (ArgumentError, NoSuchModuleError) as exc:
            raise ConfigurationError(f"database URL {url!r} is not valid: {exc}") from None
        except (OperationalError, DBAPIError) as exc:
            raise ConfigurationError(
                f"cannot connect to database {_redact(url)}: {exc.orig or exc}"
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
        """Run `action`; on a lost connection reconnect with back-off, up to the budget."""
        for attempt in range(1, self.retry_budget + 1):
            try:
                return action()
            except (OperationalError, DBAPIError) as exc:
                transient = isinstance(exc, OperationalError) or exc.connection_invalidated
                if not transient or attempt == self.retry_budget:
                    raise
                delay = self.retry_base_delay * 2 ** (attempt - 1) * (1 + random.random())
                log.warning(
                    "database error during %s (%s); retry %d/%d in %.1f s",
                    what, str(exc.orig or exc).strip().splitlines()[0], attempt,
                    self.retry_budget - 1, delay,
                )
                self.engine.dispose()
                time.sleep(delay)
        raise AssertionError("unreachable")

    # ---- schema ---------------------------------------------------------------------------
    def prepare(self) -> list[str]:
        """Create missing tables and check existing ones against the registry.

        Returns warnings (unknown columns, lcfeat's own columns missing). Raises
        `SchemaMismatchError` naming each missing required column with its `ALTER TABLE`.
        """
        inspector = inspect(self.engine)
        existing = set(inspector.get_table_names())
        warnings: list[str] = []
        problems: list[str] = []
        for name, table in self.tables.items():
            if name not in existing:
                continue
            present = {c["name"].lower() for c in inspector.get_columns(name)}
            known = {c.name for c in table.columns}
            required = set(REQUIRED_COLUMNS.get(name, known))
            for column in table.columns:
                if column.name in present:
                    continue
                statement = (
                    f"ALTER TABLE {name} ADD COLUMN {column.name} "
                    f"{_sql_type(column, self.engine.dialect)};"
                )
                if column.name in required:
                    problems.append(f"  {name}.{column.name} is missing: {statement}")
            own_missing = sorted(known - present - required)
            if own_missing:
                warnings.append(
                    f"table {name} lacks lcfeat's optional columns {', '.join(own_missing)}: "
                    "they are not written; `lcfeat db upgrade` adds them"
                )
            unknown = sorted(present - known - {"id", "created_at"})
            if unknown:
                warnings.append(
                    f"table {name} has columns lcfeat does not know and leaves alone: "
                    f"{', '.join(unknown)}"
                )
            self._present[name] = present & known
        if problems:
            raise SchemaMismatchError(
                "the database's tables lack columns of the feature registry "
                f"(schema version {SCHEMA_VERSION}):\n" + "\n".join(problems)
            )
        self.metadata.create_all(self.engine, checkfirst=True)
        for name, table in self.tables.items():
            self._present.setdefault(name, {c.name for c in table.columns})
        self._check_version()
        for message in warnings:
            log.warning(message)
        return warnings

    def _check_version(self) -> None:
        meta = self.tables["lcfeat_meta"]
        with self.engine.begin() as conn:
            stored = conn.execute(
                select(meta.c.value).where(meta.c.key == "schema_version")
            ).scalar_one_or_none()
            if stored is None:
                conn.execute(meta.insert().values(key="schema_version",
                                                  value=str(SCHEMA_VERSION)))
                return
        if int(stored) > SCHEMA_VERSION:
            raise ConfigurationError(
                f"the database has schema version {stored}, newer than this lcfeat's "
                f"{SCHEMA_VERSION}: upgrade lcfeat"
            )
        if int(stored) < SCHEMA_VERSION:
            raise ConfigurationError(
                f"the database has schema version {stored}, older than {SCHEMA_VERSION}: "
                "run `lcfeat db upgrade --db URL`"
            )

    def upgrade(self) -> list[str]:
        """Add lcfeat's missing optional columns to existing tables; returns the statements."""
        inspector = inspect(self.engine)
        existing = set(inspector.get_table_names())
        statements: list[str] = []
        for name, table in self.tables.items():
            if name not in existing:
                continue
            present = {c["name"].lower() for c in inspector.get_columns(name)}
            for column in table.columns:
                if column.name not in present:
                    statements.append(
                        f"ALTER TABLE {name} ADD COLUMN {column.name} "
                        f"{_sql_type(column, self.engine.dialect)}"
                    )
        from sqlalchemy import text

        with self.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
        self._present.clear()
        self.metadata.create_all(self.engine, checkfirst=True)
        meta = self.tables["lcfeat_meta"]
        with self.engine.begin() as conn:
            conn.execute(delete(meta).where(meta.c.key == "schema_version"))
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        return statements

    # ---- writing --------------------------------------------------------------------------
    def _insert(self, table: Table) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        if self.dialect == "sqlite":
            return sqlite.insert(table)
        raise ConfigurationError(f"unsupported database dialect {self.dialect!r}")

    def _upsert(self, conn: Any, table_name: str, rows: Sequence[dict[str, Any]],
                key: str = "target_id") -> None:
        if not rows:
            return
        table = self.tables[table_name]
        present = self._present.get(table_name, {c.name for c in table.columns})
        rows = [{k: v for k, v in row.items() if k in present} for row in rows]
        statement = self._insert(table)
        columns = [c for c in rows[0] if c != key]
        statement = statement.on_conflict_do_update(
            index_elements=[key],
            set_={c: statement.excluded[c] for c in columns},
        )
        conn.execute(statement, list(rows))

    def register_targets(self, kepler_ids: Iterable[int],
                         labels: dict[int, str] | None = None) -> None:
        """Add targets not yet known, as not extracted (pending)."""
        labels = labels or {}
        with_label = "label" in self._present.get("targets", set())
        rows = []
        for kepler_id in dict.fromkeys(int(k) for k in kepler_ids):
            row: dict[str, Any] = {"target_id": format_target_id(kepler_id),
                                   "mission": "kepler", "features_extracted": False}
            if with_label and kepler_id in labels:
                row["label"] = labels[kepler_id]
            rows.append(row)

        def action() -> None:
            with self.engine.begin() as conn:
                self._upsert_keep(conn, "targets", rows)

        self._with_retry("registering targets", action)

    def write_batch(
        self,
        rows: Sequence[FeatureRow],
        failures: Sequence[Failure],
        run_id: str | None,
        settings_hash: str | None,
        batch: BatchLog | None = None,
    ) -> None:
        """Upsert a batch of results in one transaction (retried on lost connections)."""
        now = _now()
        feature_rows = [
            _feature_record(row, run_id, settings_hash, now) for row in rows
        ]
        target_rows = [
            {"target_id": row.target_id, "mission": "kepler", "n_points": row.n_points,
             "duration_days": row.duration_days, "features_extracted": True,
             "features_extracted_at": now}
            for row in rows
        ]
        failure_rows = [
            {"target_id": f.target_id, "stage": f.stage, "error_type": f.error_type,
             "message": f.message, "attempts": f.attempts, "failed_at": now, "run_id": run_id}
            for f in failures
        ]
        failed_targets = [
            {"target_id": f.target_id, "mission": "kepler", "features_extracted": False}
            for f in failures
        ]
        done_ids = [row.target_id for row in rows]

        def action() -> None:
            with self.engine.begin() as conn:
                self._upsert(conn, "features", feature_rows)
                self._upsert(conn, "targets", target_rows)
                self._upsert_keep(conn, "targets", failed_targets)
                self._upsert(conn, "failures", failure_rows)
                if done_ids:
                    failures_table = self.tables["failures"]
                    conn.execute(delete(failures_table)
                                 .where(failures_table.c.target_id.in_(done_ids)))
                if batch is not None:
                    present = self._present.get("processing_log", set())
                    record = {
                        "batch_number": batch.batch_number,
                        "targets_processed": len(rows) + len(failures),
                        "targets_succeeded": len(rows),
                        "targets_failed": len(failures),
                        "avg_download_time": batch.avg_download_time,
                        "avg_extraction_time": batch.avg_extraction_time,
                        "started_at": batch.started_at,
                        "completed_at": _now(),
                        "notes": batch.notes,
                        "run_id": run_id,
                    }
                    conn.execute(self.tables["processing_log"].insert(),
                                 [{k: v for k, v in record.items() if k in present}])

        self._with_retry("writing a batch", action)

    def _upsert_keep(self, conn: Any, table_name: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows whose key is absent; leave existing rows untouched."""
        if not rows:
            return
        table = self.tables[table_name]
        statement = self._insert(table).on_conflict_do_nothing(index_elements=["target_id"])
        conn.execute(statement, list(rows))

    # ---- reading --------------------------------------------------------------------------
    def done_target_ids(self, settings_hash: str | None = None) -> set[str]:
        """Targets with a stored row (written with these settings, when given)."""
        features = self.tables["features"]
        query = select(features.c.target_id)
        if settings_hash is not None and "settings_hash" in self._present.get("features", ()):
            query = query.where(features.c.settings_hash == settings_hash)
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def failed_target_ids(self) -> set[str]:
        failures = self.tables["failures"]
        with self.engine.connect() as conn:
            return set(conn.execute(select(failures.c.target_id)).scalars())

    def feature_rows(self) -> list[dict[str, Any]]:
        features = self.tables["features"]
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(features))]

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
    record.update({name: row.values.get(name) for name in FEATURE_NAMES})
    record.update({name: row.extras.get(name) for name in EXTRA_NAMES})
    record.update(
        extraction_time_seconds=row.extraction_seconds,
        n_features_valid=row.n_valid,
        n_features_total=len(FEATURE_NAMES),
        null_reasons=json.dumps(row.null_reasons, sort_keys=True) if row.null_reasons else None,
        n_points=row.n_points,
        duration_days=row.duration_days,
        quarters=",".join(map(str, row.quarters)),
        run_id=run_id,
        schema_version=SCHEMA_VERSION,
        settings_hash=settings_hash,
        updated_at=now,
    )
    return record


def _make_engine(url: str) -> Engine:
    if url.startswith("postgres://"):  # Supabase/Heroku style
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql+psycopg"):
        # Supabase's transaction-mode pooler (port 6543) cannot keep prepared statements.
        kwargs["connect_args"] = {"prepare_threshold": None, "connect_timeout": 10}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    return engine


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
