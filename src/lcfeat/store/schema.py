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

from lcfeat.features.registry import BY_DOMAIN, BY_NAME, EXTRAS, FEATURE_NAMES, SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "build_metadata", "column_info"]

#: Each extra with the domain that declares it.
_EXTRAS_BY_NAME = {extra.name: (extra, domain)
                   for domain, spec in BY_DOMAIN.items() for extra in spec.extras}

#: Unit and meaning of the columns that are not features (features and extras: the registry).
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "target_id": ("", "KIC <integer> (Kepler) or TIC <integer> (TESS), without zero padding"),
    "mission": ("", "kepler or tess: the mission whose light curves gave the row"),
    "extraction_time_seconds": ("s", "wall time of reading and extracting the target"),
    "n_features_valid": ("count", "features with a value (not NULL), of 63"),
    "n_features_total": ("count", "features defined by the registry (63)"),
    "null_reasons": ("", "JSON object: feature or extra name -> why it is NULL"),
    "n_points": ("count", "cadences used after the quality mask"),
    "duration_days": ("d", "time from the first to the last cadence used"),
    "quarters": ("", "Kepler quarters (TESS sectors) used, comma separated"),
    "run_id": ("", "the run that wrote the row (table runs, `lcfeat provenance RUN_ID`)"),
    "schema_version": ("", "lcfeat schema version the row was written with"),
    "settings_hash": ("", "hash of the settings that change feature values (resume key)"),
    "updated_at": ("UTC", "when the row was last written"),
}


def column_info(table_name: str, column_name: str) -> dict[str, str]:
    """Unit, domain and meaning of a column, from the registry for features and extras."""
    if table_name == "features" and column_name in BY_NAME:
        feature = BY_NAME[column_name]
        return {"unit": feature.unit, "domain": feature.domain,
                "definition": feature.definition, "reference": feature.reference}
    if table_name == "features" and column_name in _EXTRAS_BY_NAME:
        extra, domain = _EXTRAS_BY_NAME[column_name]
        return {"unit": extra.unit, "domain": f"{domain} (extra)",
                "definition": extra.definition}
    unit, meaning = COLUMN_DOCS.get(column_name, ("", ""))
    return {key: value for key, value in (("unit", unit), ("definition", meaning)) if value}


def _documented(name: str, type_: type) -> Column:
    """A features column whose database comment gives its unit and meaning (PostgreSQL shows
    it in psql's \\d+ and Supabase's table editor; SQLite has no comments)."""
    info = column_info("features", name)
    unit = f"[{info['unit']}] " if info.get("unit") else ""
    return Column(name, type_, comment=(unit + info.get("definition", "")) or None)

#: Columns of the deployed `features` table besides the 63 features.
DEPLOYED_FEATURE_METADATA = ("extraction_time_seconds", "n_features_valid", "n_features_total")


def _feature_table(metadata: MetaData) -> Table:
    return Table(
        "features",
        metadata,
        Column("target_id", Text, primary_key=True),
        *(_documented(name, Float) for name in FEATURE_NAMES),
        _documented("extraction_time_seconds", Float),
        _documented("n_features_valid", Integer),
        _documented("n_features_total", Integer),
        # lcfeat's own columns
        _documented("mission", Text),
        *(_documented(extra.name, Float) for extra in EXTRAS),
        _documented("null_reasons", Text),
        _documented("n_points", Integer),
        _documented("duration_days", Float),
        _documented("quarters", Text),
        _documented("run_id", Text),
        _documented("schema_version", Integer),
        _documented("settings_hash", Text),
        _documented("updated_at", DateTime(timezone=True)),
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
        Column("st_logg", Float),
        Column("st_kepmag", Float),
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
