"""How a run is set up: the one place for its defaults (the command line shows them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass
class RunSettings:
    workers: int = os.cpu_count() or 1
    batch_size: int = 50
    io_concurrency: int = 16
    target_timeout: float | None = 600.0
    quality: str | int = "default"
    force: bool = False
    retry_failed: bool = False
    label: str | None = None
    executor: str = "local"
    dask_scheduler: str | None = None

    def feature_settings(self) -> dict[str, Any]:
        """What changes feature values (the resume key): a new lcfeat version recomputes."""
        from lcfeat.lightcurve.quality import quality_bitmask
        from lcfeat.version import __version__

        return {"quality_bitmask": quality_bitmask(self.quality), "lcfeat": __version__}


DEFAULTS = RunSettings()
