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
    #: "kepler" (KIC ids, Kepler long-cadence files) or "tess" (TIC ids, TESS SPOC files)
    mission: str = "kepler"

    def feature_settings(self) -> dict[str, Any]:
        """What changes feature values (the resume key): a new lcfeat version recomputes.
        A Kepler run's key is what it was before lcfeat read TESS, so it still resumes."""
        from lcfeat.lightcurve.quality import quality_bitmask
        from lcfeat.version import __version__

        settings: dict[str, Any] = {"quality_bitmask": quality_bitmask(self.quality, self.mission),
                                    "lcfeat": __version__}
        if self.mission != "kepler":
            settings["mission"] = self.mission
        return settings


DEFAULTS = RunSettings()
