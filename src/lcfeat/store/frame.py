"""The stored features table as a pandas DataFrame (`lcfeat.read_features`)."""

from __future__ import annotations

from typing import Any

from lcfeat.errors import ConfigurationError
from lcfeat.features.registry import EXTRA_NAMES, FEATURE_NAMES
from lcfeat.store.database import Store
from lcfeat.store.schema import column_info
from lcfeat.targets.ids import format_target_id, normalise_target_id


def read_features(db_url: str, run: str | None = None) -> Any:
    """The `features` table of a database as a pandas DataFrame indexed by `target_id`.

    Every stored column is kept: the 63 features, the extras, and lcfeat's bookkeeping
    (`null_reasons`, `n_points`, `run_id`, ...); NULL is NaN. `df.attrs["units"]` gives the
    unit of each column that has one and `df.attrs["definitions"]` its meaning, from the
    feature registry. `run` keeps the rows written by one run (its id or a prefix of it, as
    `lcfeat provenance` shows them). Raises ConfigurationError for a database that cannot be
    reached or has no features table.
    """
    import pandas as pd
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    store = Store.connect(db_url)
    try:
        if "features" not in inspect(store.engine).get_table_names():
            raise ConfigurationError(f"{store.url} has no 'features' table: run `lcfeat run` "
                                     "first")
        frame = pd.read_sql_table("features", store.engine)
    except SQLAlchemyError as exc:
        raise ConfigurationError(f"cannot read the features of {store.url}: {exc}") from exc
    finally:
        store.close()
    if run is not None:
        if "run_id" not in frame.columns:
            raise ConfigurationError(f"{store.url}: the features table has no run_id column")
        frame = frame[frame["run_id"].fillna("").str.startswith(run)]
    values = [name for name in (*FEATURE_NAMES, *EXTRA_NAMES) if name in frame.columns]
    frame[values] = frame[values].astype("float64")  # an all-NULL column comes back as objects
    frame["target_id"] = frame["target_id"].map(normalise_target_id)
    frame = frame.set_index("target_id").sort_index()
    info = {name: column_info("features", name) for name in frame.columns}
    frame.attrs["units"] = {name: i["unit"] for name, i in info.items() if i.get("unit")}
    frame.attrs["definitions"] = {name: i["definition"] for name, i in info.items()
                                  if i.get("definition")}
    return frame


def stored_row(db_url: str, kepler_id: int) -> dict[str, Any] | None:
    """One target's row of the `features` table (None when it has none), NULL as None."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    store = Store.connect(db_url)
    target_id = format_target_id(kepler_id)
    try:
        if "features" not in inspect(store.engine).get_table_names():
            raise ConfigurationError(f"{store.url} has no 'features' table: run `lcfeat run` "
                                     "first")
        with store.engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM features WHERE target_id = :target_id"),
                               {"target_id": target_id}).mappings().first()
    except SQLAlchemyError as exc:
        raise ConfigurationError(f"cannot read the features of {store.url}: {exc}") from exc
    finally:
        store.close()
    return None if row is None else dict(row)
