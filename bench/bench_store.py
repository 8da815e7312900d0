"""Upsert speed of the feature store: SQLite and PostgreSQL, batched against one row at a time.

    .venv/bin/python bench/bench_store.py [--rows 10000] [--batch-size 500] [--rounds 3]
                                          [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Synthetic rows (63 features, the extras and lcfeat's metadata columns, as `lcfeat run` writes
them) are upserted into empty tables by three methods; each writes the `features` and
`targets` rows of every target:
  batched          `Store.write_batch`: one INSERT ... ON CONFLICT DO UPDATE per table for the
                   whole batch (executemany), one transaction per batch (the store's own path);
  row/statement    the same upserts, one statement per row, one transaction per batch;
  row/transaction  one `write_batch` per row: a statement and a commit per row, the way a
                   pipeline that stores each target as it finishes works (measured on a
                   tenth of the rows to keep the bench short; rows/s is per row either way).
The best of --rounds rounds is reported with the ratio of the batched rate to each method's.
PostgreSQL is measured in a throwaway database created on the server and dropped after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sqlalchemy import create_engine, delete, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from lcfeat.features.extract import FeatureRow  # noqa: E402
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES  # noqa: E402
from lcfeat.store import BatchLog, Store  # noqa: E402
from lcfeat.store.database import _feature_record  # noqa: E402

DEFAULT_PG = os.environ.get("LCFEAT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def synthetic_rows(n: int) -> list[FeatureRow]:
    rows = []
    for i in range(n):
        values = {name: (i + 1) * 1e-3 + position for position, name in enumerate(FEATURE_NAMES)}
        rows.append(FeatureRow(kepler_id=1_000_000 + i, values=values,
                               extras={name: 0.5 for name in EXTRA_NAMES}, n_points=65_000,
                               duration_days=1470.5, quarters=tuple(range(1, 18)),
                               extraction_seconds=2.5))
    return rows


def _empty(store: Store) -> None:
    with store.engine.begin() as conn:
        for name in ("features", "targets", "processing_log"):
            conn.execute(delete(store.tables[name]))


def batched(store: Store, rows: list[FeatureRow], batch_size: int) -> int:
    for number, start in enumerate(range(0, len(rows), batch_size), 1):
        store.write_batch(rows[start:start + batch_size], [], "bench", "h",
                          BatchLog(number, datetime.now(UTC)))
    return len(rows)


def row_per_statement(store: Store, rows: list[FeatureRow], batch_size: int) -> int:
    now = datetime.now(UTC)
    for start in range(0, len(rows), batch_size):
        with store.engine.begin() as conn:
            for row in rows[start:start + batch_size]:
                store._upsert(conn, "features", [_feature_record(row, "bench", "h", now)])
                store._upsert(conn, "targets", [{
                    "target_id": row.target_id, "mission": "kepler", "n_points": row.n_points,
                    "duration_days": row.duration_days, "features_extracted": True,
                    "features_extracted_at": now}])
    return len(rows)


def row_per_transaction(store: Store, rows: list[FeatureRow], batch_size: int) -> int:
    subset = rows[: max(1, len(rows) // 10)]
    for number, row in enumerate(subset, 1):
        store.write_batch([row], [], "bench", "h", BatchLog(number, datetime.now(UTC)))
    return len(subset)


METHODS: dict[str, Callable[[Store, list[FeatureRow], int], int]] = {
    "batched": batched,
    "row/statement": row_per_statement,
    "row/transaction": row_per_transaction,
}


@contextmanager
def postgres_database(admin_url: str):
    admin_url = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"lcfeat_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(url: str, rows: list[FeatureRow], batch_size: int, rounds: int) -> dict[str, float]:
    store = Store.connect(url)
    store.prepare()
    rates: dict[str, float] = {}
    for name, method in METHODS.items():
        best = 0.0
        for _ in range(rounds):
            _empty(store)
            started = time.perf_counter()
            written = method(store, rows, batch_size)
            best = max(best, written / (time.perf_counter() - started))
        rates[name] = best
    store.close()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per method (best kept)")
    parser.add_argument("--pg-url", default=DEFAULT_PG,
                        help="a PostgreSQL server's admin URL (a database is created on it)")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    args = parser.parse_args()

    rows = synthetic_rows(args.rows)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(f"sqlite:///{folder}/bench.db", rows, args.batch_size,
                                    args.rounds)
    if not args.no_postgres:
        with postgres_database(args.pg_url) as url:
            results["postgresql"] = measure(url, rows, args.batch_size, args.rounds)

    print(f"store upserts: {args.rows} synthetic rows (features + targets), batches of "
          f"{args.batch_size}, best of {args.rounds}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'backend':<11} {'method':<16} {'rows/s':>10} {'batched is x faster':>20}")
    for backend, rates in results.items():
        for method, rate in rates.items():
            ratio = rates["batched"] / rate
            print(f"{backend:<11} {method:<16} {rate:>10,.0f} {ratio:>20.1f}")


if __name__ == "__main__":
    main()
