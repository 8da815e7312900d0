"""`lcfeat export`: a table of the store as Parquet or CSV, with each column's unit and meaning.

Parquet keeps them in the file: every field's metadata holds `unit`, `domain`, `definition`
(and `reference` for features) from the registry, and the schema's metadata the lcfeat and
schema versions, the registry hash and the provenance of every run the rows come from. CSV
cannot hold metadata, so a data dictionary `<name>.columns.csv` is written beside it.
Rows are streamed in chunks, so a full-Kepler table is exported in constant memory.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import Boolean, DateTime, Float, Integer, Table, inspect, select

from lcfeat.errors import ConfigurationError
from lcfeat.features.registry import SCHEMA_VERSION, registry_hash
from lcfeat.store import Store
from lcfeat.store.records import EXPORTABLE_TABLES, FORMATS
from lcfeat.store.schema import column_info
from lcfeat.version import __version__

#: Rows fetched and written at a time.
CHUNK_ROWS = 5000
_ORDER = {"runs": "started_at", "processing_log": "started_at"}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    columns: int
    dictionary: Path | None = None


def arrow_schema(table: Table, columns: list[str], source: str = "") -> pa.Schema:
    """The Arrow schema of `columns` of `table`, with the registry's documentation."""
    fields = []
    for name in columns:
        column = table.c[name]
        info = column_info(table.name, name)
        fields.append(pa.field(name, _arrow_type(column.type), nullable=True,
                               metadata={k: v.encode() for k, v in info.items()}))
    metadata = {
        "lcfeat.table": table.name,
        "lcfeat.version": __version__,
        "lcfeat.schema_version": str(SCHEMA_VERSION),
        "lcfeat.registry_hash": registry_hash(),
        "lcfeat.exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if source:
        metadata["lcfeat.source"] = source
    return pa.schema(fields, metadata={k: v.encode() for k, v in metadata.items()})


def _arrow_type(sql_type: Any) -> pa.DataType:
    if isinstance(sql_type, Boolean):
        return pa.bool_()
    if isinstance(sql_type, Integer):
        return pa.int64()
    if isinstance(sql_type, Float):
        return pa.float64()
    if isinstance(sql_type, DateTime):
        return pa.timestamp("us", tz="UTC")
    return pa.string()


def export_table(store: Store, path: str | os.PathLike[str], fmt: str | None = None,
                 table_name: str = "features", run_id: str | None = None,
                 chunk_rows: int = CHUNK_ROWS) -> ExportResult:
    """Write `table_name` (rows of run `run_id` or a prefix of it, when given) to `path`.

    The file appears complete or not at all (written beside, then renamed).
    """
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "parquet")
    if fmt not in FORMATS:
        raise ConfigurationError(f"unknown export format {fmt!r}: use {' or '.join(FORMATS)}")
    if table_name not in EXPORTABLE_TABLES:
        raise ConfigurationError(f"unknown table {table_name!r}: use one of "
                                 f"{', '.join(EXPORTABLE_TABLES)}")
    inspector = inspect(store.engine)
    if table_name not in inspector.get_table_names():
        raise ConfigurationError(f"{store.url} has no table {table_name}: nothing to export "
                                 "(was `lcfeat run` pointed at another --db?)")
    table = store.tables[table_name]
    present = {c["name"].lower() for c in inspector.get_columns(table_name)}
    columns = [c.name for c in table.columns if c.name in present]
    query = select(*(table.c[name] for name in columns))
    if run_id:
        if "run_id" not in present:
            raise ConfigurationError(f"table {table_name} of {store.url} has no run_id column "
                                     "(`lcfeat db upgrade` adds it to a deployed table)")
        query = query.where(table.c.run_id.startswith(run_id, autoescape=True))
    order = _ORDER.get(table_name, "target_id")
    if order in present:
        query = query.order_by(table.c[order])

    schema = arrow_schema(table, columns, source=store.url)
    if fmt == "parquet" and "run_id" in present and table_name != "runs":
        # the provenance of every run the rows come from travels with the file
        with store.engine.connect() as conn:
            run_ids = set(conn.execute(query.with_only_columns(table.c.run_id).distinct()
                                       .order_by(None)).scalars()) - {None}
        if run_ids:
            schema = schema.with_metadata(
                {**schema.metadata, b"lcfeat.runs": _runs_json(store, run_ids).encode()})
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with store.engine.connect() as conn:
            result = conn.execution_options(yield_per=chunk_rows).execute(query)
            batches = _record_batches(result.partitions(), columns, schema)
            if fmt == "parquet":
                rows = _write_parquet(partial, schema, batches)
            else:
                rows = _write_csv(partial, schema, batches)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    dictionary = None
    if fmt == "csv":
        dictionary = path.with_name(f"{path.stem}.columns.csv")
        _write_dictionary(dictionary, schema)
    return ExportResult(path, rows, len(columns), dictionary)


def _record_batches(partitions: Iterator[Any], columns: list[str],
                    schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for chunk in partitions:
        data = {name: [row[i] for row in chunk] for i, name in enumerate(columns)}
        yield pa.RecordBatch.from_pydict(data, schema=schema)


def _write_parquet(path: Path, schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> int:
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            rows += batch.num_rows
            writer.write_batch(batch)
    return rows


def _write_csv(path: Path, schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> int:
    rows = 0
    with pa_csv.CSVWriter(str(path), schema.remove_metadata()) as writer:
        for batch in batches:
            rows += batch.num_rows
            writer.write_batch(batch)
    return rows


def _write_dictionary(path: Path, schema: pa.Schema) -> None:
    keys = ("unit", "domain", "definition", "reference")
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["column", "type", *keys])
        for field in schema:
            meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            writer.writerow([field.name, str(field.type), *(meta.get(k, "") for k in keys)])
    os.replace(partial, path)


def _runs_json(store: Store, run_ids: set[str]) -> str:
    from lcfeat.store.provenance import load_runs

    runs = [run for run in load_runs(store) if run["run_id"] in run_ids]
    for run in runs:
        run.pop("n_rows", None)
    return json.dumps(runs, default=_json_default, sort_keys=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
