"""`lcfeat run`: targets -> fetch (I/O thread) -> extract (worker processes or Dask) -> store.

`settings` holds the run's defaults, `targets` which stars a run takes, `run` the stages and
their batches, `executors` where per-target work runs, `table` the same work for
`lcfeat.extract_table`.

The names below load on first use (PEP 562), so that reading the defaults (`settings`) for
`lcfeat --help` does not load the feature stack and the database driver.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lcfeat.pipeline.run import RunSummary, run_pipeline
    from lcfeat.pipeline.settings import DEFAULTS, RunSettings
    from lcfeat.pipeline.targets import targets_for_run

_HOMES = {
    "DEFAULTS": "lcfeat.pipeline.settings",
    "RunSettings": "lcfeat.pipeline.settings",
    "RunSummary": "lcfeat.pipeline.run",
    "run_pipeline": "lcfeat.pipeline.run",
    "targets_for_run": "lcfeat.pipeline.targets",
}
__all__ = ["DEFAULTS", "RunSettings", "RunSummary", "run_pipeline", "targets_for_run"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
