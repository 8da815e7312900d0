"""`lcfeat run`: targets -> fetch (I/O thread) -> extract (worker processes or Dask) -> store.

`settings` holds the run's defaults, `targets` which stars a run takes, `run` the stages and
their batches, `executors` where per-target work runs, `table` the same work for
`lcfeat.extract_table`.

The names below load on first use (PEP 562), so that reading the defaults (`settings`) for
`lcfeat --help` does not load the feature stack and the database driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcfeat.lazy import lazy_exports

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
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
