"""Run every domain on one light curve: the `FeatureRow` of a target."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import DOMAINS, FEATURE_NAMES, compute_domain
from lcfeat.lightcurve.model import LightCurve
from lcfeat.targets.ids import format_target_id

log = logging.getLogger(__name__)


@dataclass
class FeatureRow:
    """One target's features, the reason for every NULL, and what produced them."""

    kepler_id: int
    values: dict[str, float | None]
    null_reasons: dict[str, str] = field(default_factory=dict)
    extras: dict[str, float | None] = field(default_factory=dict)
    n_points: int = 0
    duration_days: float = 0.0
    quarters: tuple[int, ...] = ()
    extraction_seconds: float = 0.0
    domain_seconds: dict[str, float] = field(default_factory=dict)
    #: KIC or TIC stellar parameters of the FITS headers (teff, logg, radius, kepmag or
    #: tessmag) where present
    stellar: dict[str, float] = field(default_factory=dict)
    #: "kepler" or "tess": `kepler_id` is then a KIC or a TIC id, `quarters` quarters or sectors
    mission: str = "kepler"

    @property
    def target_id(self) -> str:
        return format_target_id(self.kepler_id, self.mission)

    @property
    def n_valid(self) -> int:
        return sum(v is not None for v in self.values.values())

    def to_dict(self) -> dict[str, float | None]:
        """The 63 features in table order, then the extras (None where NULL)."""
        return {**self.values, **self.extras}

    def to_series(self) -> Any:
        """`to_dict()` as a pandas Series of floats (NaN where NULL) named by target id; its
        `attrs["units"]` gives each value's unit, `attrs["null_reasons"]` why one is NULL."""
        import pandas as pd

        from lcfeat.features.registry import units

        series = pd.Series(self.to_dict(), name=self.target_id, dtype="float64")
        series.attrs["units"] = units(series.index)
        series.attrs["null_reasons"] = dict(self.null_reasons)
        return series


def extract_features(
    lc: LightCurve, domains: tuple[str, ...] = DOMAINS
) -> FeatureRow:
    """All features of `lc` (or of the chosen domains) as a `FeatureRow`."""
    started = time.perf_counter()
    prepared = Prepared(lc)
    values: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    extras: dict[str, float | None] = {}
    timings: dict[str, float] = {}
    for domain in domains:
        t0 = time.perf_counter()
        result = compute_domain(domain, prepared)
        timings[domain] = time.perf_counter() - t0
        values.update(result.values)
        reasons.update(result.null_reasons)
        extras.update(result.extras)
    if domains == DOMAINS and tuple(values) != FEATURE_NAMES:
        values = {name: values[name] for name in FEATURE_NAMES}
    for name, reason in reasons.items():
        log.debug("%s: %s is NULL: %s", lc.target_id, name, reason)
    return FeatureRow(
        kepler_id=lc.kepler_id,
        values=values,
        null_reasons=reasons,
        extras=extras,
        n_points=lc.n_points,
        duration_days=float(lc.time[-1] - lc.time[0]) if lc.n_points else 0.0,
        quarters=lc.quarters,
        extraction_seconds=time.perf_counter() - started,
        domain_seconds=timings,
        stellar=dict(lc.stellar),
        mission=lc.mission,
    )
