"""`lcfeat run`: targets -> fetch (I/O thread) -> extract (worker processes or Dask) -> store.

`settings` holds the run's defaults, `targets` which stars a run takes, `run` the stages and
their batches, `executors` where per-target work runs.
"""

from lcfeat.pipeline.run import RunSummary, run_pipeline
from lcfeat.pipeline.settings import DEFAULTS, RunSettings
from lcfeat.pipeline.targets import targets_for_run

__all__ = ["DEFAULTS", "RunSettings", "RunSummary", "run_pipeline", "targets_for_run"]
