"""How a run is set up: the one place for its defaults (the command line shows them)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from lcfeat.config import MAX_SECONDS
from lcfeat.errors import ConfigurationError


def check_seconds(name: str, value: float, allow_zero: bool = False) -> float:
    """`value` if it is a finite number of seconds within (0, MAX_SECONDS], else a
    ConfigurationError naming the setting."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero) or value > MAX_SECONDS:
        low = ">= 0" if allow_zero else "> 0"
        raise ConfigurationError(
            f"{name} must be {low} and at most {MAX_SECONDS:g} s (7 days), got {value:g}")
    return value


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
    #: How long the archive may stay unreachable before the run stops (exit 3), seconds.
    archive_outage_budget: float = 1800.0
    #: "kepler" (KIC ids, Kepler long-cadence files) or "tess" (TIC ids, TESS SPOC files)
    mission: str = "kepler"

    def __post_init__(self) -> None:
        """Settings are checked when made, before a run starts any work."""
        for name in ("workers", "batch_size", "io_concurrency"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be an integer >= 1, got {value!r}")
        if self.target_timeout is not None:
            check_seconds("target_timeout", self.target_timeout)
        check_seconds("archive_outage_budget", self.archive_outage_budget, allow_zero=True)

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

