"""Table definitions, all generated from the feature registry.

`features`, `targets` and `processing_log` have the columns of the deployed database
(FEATURES.md, "Compatibility"), so lcfeat can write into an existing project as it is;
lcfeat's own columns are added beside them. `failures`, `runs` and `lcfeat_meta` are lcfeat's.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
)

from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES, SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "build_metadata"]

#: Columns of the deployed `features` table besides the 63 features.
DEPLOYED_FEATURE_METADATA = ("extraction_time_seconds", "n_features_valid", "n_features_total")


def _feature_table(metadata: MetaData) -> Table:
    return Table(
        "features",
        metadata,
        Column("target_id", Text, primary_key=True),
        *(Column(name, Float) for name in FEATURE_NAMES),
        Column("extraction_time_seconds", Float),
        Column("n_features_valid", Integer),
        Column("n_features_total", Integer),
        # lcfeat's own columns
        *(Column(name, Float) for name in EXTRA_NAMES),
        Column("null_reasons", Text),
        Column("n_points", Integer),
        Column("duration_days", Float),
        Column("quarters", Text),
        Column("run_id", Text),
        Column("schema_version", Integer),
        Column("settings_hash", Text),
        Column("updated_at", DateTime(timezone=True)),
    )


def build_metadata() -> MetaData:
    metadata = MetaData()
    _feature_table(metadata)
    Table(
        "targets",
        metadata,
        Column("target_id", Text, primary_key=True),
        Column("mission", Text),
        Column("n_points", Integer),
        Column("duration_days", Float),
        Column("features_extracted", Boolean),
        Column("features_extracted_at", DateTime(timezone=True)),
        Column("st_cdpp3_0", Float),
        Column("st_cdpp6_0", Float),
        Column("st_cdpp12_0", Float),
        Column("st_crowding", Float),
        Column("st_teff", Float),
        Column("st_rad", Float),
        Column("st_mass", Float),
        Column("koi_count", Integer),
        Column("label", Text),
    )
    Table(
        "processing_log",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("batch_number", Integer),
        Column("targets_processed", Integer),
        Column("targets_succeeded", Integer),
        Column("targets_failed", Integer),
        Column("avg_download_time", Float),
        Column("avg_extraction_time", Float),
        Column("started_at", DateTime(timezone=True)),
        Column("completed_at", DateTime(timezone=True)),
        Column("notes", Text),
        Column("run_id", Text),
    )
    Table(
        "failures",
        metadata,
        Column("target_id", Text, primary_key=True),
        Column("stage", Text),
        Column("error_type", Text),
        Column("message", Text),
        Column("attempts", Integer),
        Column("failed_at", DateTime(timezone=True)),
        Column("run_id", Text),
    )
    Table(
        "runs",
        metadata,
        Column("run_id", Text, primary_key=True),
        Column("label", Text),
        Column("started_at", DateTime(timezone=True)),
        Column("finished_at", DateTime(timezone=True)),
        Column("status", Text),
        Column("command", Text),
        Column("settings", Text),
        Column("environment", Text),
        Column("lcfeat_version", Text),
        Column("git_commit", Text),
        Column("schema_version", Integer),
        Column("registry_hash", Text),
        Column("archive", Text),
        Column("n_targets", Integer),
        Column("n_done", Integer),
        Column("n_failed", Integer),
        Column("n_skipped", Integer),
        Column("targets_per_second", Float),
    )
    Table(
        "lcfeat_meta",
        metadata,
        Column("key", Text, primary_key=True),
        Column("value", Text),
    )
    return metadata
