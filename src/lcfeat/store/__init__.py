"""The feature store: tables generated from the registry, SQLite and PostgreSQL."""

from lcfeat.store.database import (
    BatchLog,
    DatabaseUnavailableError,
    Failure,
    Store,
    StoreStatus,
)

__all__ = ["BatchLog", "DatabaseUnavailableError", "Failure", "Store", "StoreStatus"]
