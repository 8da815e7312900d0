"""The feature store: tables generated from the registry, SQLite and PostgreSQL.

`Store` and its companions load on first use (PEP 562): SQLAlchemy and the feature registry
take a noticeable part of a second, and the plain records (`records`) are needed by worker
processes and the command line without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcfeat.lazy import lazy_exports

if TYPE_CHECKING:
    from lcfeat.store.database import DatabaseUnavailableError, Store, StoreStatus
    from lcfeat.store.records import BatchLog, Failure

_HOMES = {
    "BatchLog": "lcfeat.store.records",
    "Failure": "lcfeat.store.records",
    "DatabaseUnavailableError": "lcfeat.store.database",
    "Store": "lcfeat.store.database",
    "StoreStatus": "lcfeat.store.database",
}
__all__ = ["BatchLog", "DatabaseUnavailableError", "Failure", "Store", "StoreStatus"]
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
