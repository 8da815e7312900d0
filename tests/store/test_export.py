"""`lcfeat export`: Parquet and CSV that pandas and pyarrow open, with the registry's units."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lcfeat.cli import main
from lcfeat.features.extract import FeatureRow
from lcfeat.features.registry import EXTRAS, FEATURE_NAMES, FEATURES
from lcfeat.store import BatchLog, Store
from lcfeat.store.provenance import RunRecord, save_run


def _rows() -> list[FeatureRow]:
    """Three targets with distinct, awkward values (thirds, tiny and huge) and one NULL."""
    rows = []
    for index, kepler_id in enumerate((11904151, 3342467, 757076)):
        values: dict[str, float | None] = {
            name: (position + 1) / 3 * 10.0 ** (index * 100 - 100)
            for position, name in enumerate(FEATURE_NAMES)}
        reasons = {}
        if index == 1:
            values["transit_implied_r_planet_rjup"] = None
            reasons["transit_implied_r_planet_rjup"] = "no stellar radius"
        rows.append(FeatureRow(kepler_id=kepler_id, values=values, null_reasons=reasons,
                               extras={e.name: 0.5 + index for e in EXTRAS},
                               n_points=1000 * (index + 1), duration_days=90.5,
                               quarters=(2, 5), extraction_seconds=1.5))
    return rows


@pytest.fixture
def filled_store(db_url):
    store = Store.connect(db_url)
    store.prepare()
    record = RunRecord.start("validation", {"quality": "default", "workers": 2},
                             "data/archive", 3, argv=["lcfeat", "run", "--label", "validation"])
    save_run(store, record)
    rows = _rows()
    store.write_batch(rows[:2], [], record.run_id, "h", BatchLog(1, datetime.now(UTC)))
    store.write_batch(rows[2:], [], "another-run", "h", BatchLog(2, datetime.now(UTC)))
    store.close()
    return db_url, record.run_id, {r.target_id: r for r in rows}


def test_parquet_export_opens_in_pyarrow_and_pandas_with_units(filled_store, tmp_path, capsys):
    url, run_id, rows = filled_store
    path = tmp_path / "out" / "features.parquet"
    assert main(["export", "--db", url, "--format", "parquet", "-o", str(path)]) == 0
    assert "3 rows" in capsys.readouterr().out

    table = pq.read_table(path)
    assert table.num_rows == 3
    schema = table.schema
    # every feature carries the registry's unit, domain, definition and reference
    for feature in FEATURES:
        field = schema.field(feature.name)
        assert field.type == pa.float64()
        meta = {k.decode(): v.decode() for k, v in field.metadata.items()}
        assert meta == {"unit": feature.unit, "domain": feature.domain,
                        "definition": feature.definition, "reference": feature.reference}
    snr_unit = next(e.unit for e in EXTRAS if e.name == "transit_bls_snr")
    assert schema.field("transit_bls_snr").metadata[b"unit"] == snr_unit.encode()
    assert schema.field("extraction_time_seconds").metadata[b"unit"] == b"s"
    assert schema.field("updated_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("n_points").type == pa.int64()
    # the provenance of the runs the rows come from travels with the file
    runs = json.loads(schema.metadata[b"lcfeat.runs"])
    assert {r["run_id"] for r in runs} == {run_id}  # "another-run" has no runs row
    assert runs[0]["label"] == "validation" and runs[0]["command"].startswith("lcfeat run")
    assert schema.metadata[b"lcfeat.schema_version"] == b"1"

    frame = pd.read_parquet(path)
    assert sorted(frame["target_id"]) == sorted(rows)
    for _, stored in frame.iterrows():
        row = rows[stored["target_id"]]
        for name in FEATURE_NAMES:
            expected = row.values[name]
            if expected is None:
                assert math.isnan(stored[name]), name
            else:
                assert stored[name] == expected, name  # bit for bit: no text round trip
        assert stored["run_id"] == (run_id if row.kepler_id != 757076 else "another-run")
        assert stored["n_points"] == row.n_points
    assert str(frame["updated_at"].dt.tz) == "UTC"


def test_csv_export_and_its_data_dictionary(filled_store, tmp_path, capsys):
    url, _, rows = filled_store
    path = tmp_path / "features.csv"
    assert main(["export", "--db", url, "-o", str(path)]) == 0  # format from the suffix
    out = capsys.readouterr().out
    assert "features.columns.csv" in out

    # pandas' default float parser can be one bit off (3.6666666666666664e-100 reads as
    # ...54e-100); its round-trip parser reads exactly what was written
    frame = pd.read_csv(path, float_precision="round_trip")
    assert len(frame) == 3 and set(FEATURE_NAMES) <= set(frame.columns)
    for _, stored in frame.iterrows():
        row = rows[stored["target_id"]]
        for name in FEATURE_NAMES:
            expected = row.values[name]
            if expected is None:
                assert math.isnan(stored[name])
            else:
                # pyarrow writes the shortest decimal that reads back as the same double
                assert stored[name] == expected, name
    with (tmp_path / "features.columns.csv").open() as handle:
        dictionary = {r["column"]: r for r in csv.DictReader(handle)}
    assert list(dictionary) == list(frame.columns)
    for feature in FEATURES:
        assert dictionary[feature.name]["unit"] == feature.unit
        assert dictionary[feature.name]["domain"] == feature.domain


def test_export_of_one_run_and_of_the_runs_table(filled_store, tmp_path):
    url, run_id, _ = filled_store
    path = tmp_path / "one_run.parquet"
    assert main(["export", "--db", url, "-o", str(path), "--run", run_id[:6]]) == 0
    assert sorted(pq.read_table(path).column("target_id").to_pylist()) == [
        "KIC 11904151", "KIC 3342467"]
    runs_path = tmp_path / "runs.parquet"
    assert main(["export", "--db", url, "--table", "runs", "-o", str(runs_path)]) == 0
    runs = pd.read_parquet(runs_path)
    assert list(runs["run_id"]) == [run_id] and list(runs["label"]) == ["validation"]


def test_export_of_a_database_without_features_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "x.parquet"
    assert main(["export", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "-o", str(path)]) == 2
    assert "has no table features" in capsys.readouterr().err
    assert not path.exists() and not (tmp_path / "x.parquet.partial").exists()
