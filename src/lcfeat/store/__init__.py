"""The feature store: tables generated from the registry, SQLite and PostgreSQL."""

from lcfeat.store.database import BatchLog, Failure, Store, StoreStatus

__all__ = ["BatchLog", "Failure", "Store", "StoreStatus"]
