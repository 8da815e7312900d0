"""Run every domain on one light curve and check the result against the registry."""

from __future__ import annotations

import importlib
import logging
import math
import time
from dataclasses import dataclass, field
from types import ModuleType

from lcfeat.features.base import DomainResult, Prepared
from lcfeat.features.registry import DOMAINS, EXTRA_NAMES, FEATURE_NAMES, names_in
from lcfeat.lightcurve import LightCurve

log = logging.getLogger(__name__)


class RegistryMismatchError(AssertionError):
    """A domain returned a key the registry does not define, or left one out: a bug."""


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
    #: KIC stellar parameters of the FITS headers (teff, logg, radius, kepmag) where present
    stellar: dict[str, float] = field(default_factory=dict)

    @property
    def target_id(self) -> str:
        return format_target_id(self.kepler_id)

    @property
    def n_valid(self) -> int:
        return sum(v is not None for v in self.values.values())


def format_target_id(kepler_id: int) -> str:
    """`KIC <integer>` without zero padding, as the deployed database stores it."""
    return f"KIC {int(kepler_id)}"


def _domain_module(domain: str) -> ModuleType:
    return importlib.import_module(f"lcfeat.features.{domain}")


def _validated(domain: str, result: DomainResult) -> DomainResult:
    expected = set(names_in(domain))
    got = set(result.values)
    if got != expected:
        raise RegistryMismatchError(
            f"domain {domain}: unknown keys {sorted(got - expected)}, "
            f"missing keys {sorted(expected - got)}"
        )
    unknown_extras = set(result.extras) - set(EXTRA_NAMES)
    if unknown_extras:
        raise RegistryMismatchError(f"domain {domain}: unknown extras {sorted(unknown_extras)}")
    for name, value in result.values.items():
        if value is None:
            if name not in result.null_reasons:
                raise RegistryMismatchError(f"{name} is NULL without a reason")
        elif not math.isfinite(value):
            raise RegistryMismatchError(f"{name} = {value}: features are finite or NULL")
    return result


def extract_features(
    lc: LightCurve, domains: tuple[str, ...] = DOMAINS
) -> FeatureRow:
    """All features of `lc` (or of the chosen domains) as a validated `FeatureRow`."""
    started = time.perf_counter()
    prepared = Prepared(lc)
    values: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    extras: dict[str, float | None] = {}
    timings: dict[str, float] = {}
    for domain in domains:
        t0 = time.perf_counter()
        result = _validated(domain, _domain_module(domain).compute(prepared))
        timings[domain] = time.perf_counter() - t0
        values.update({k: (None if v is None else float(v)) for k, v in result.values.items()})
        reasons.update({k: r for k, r in result.null_reasons.items() if values.get(k) is None})
        extras.update(result.extras)
    if domains == DOMAINS and tuple(values) != FEATURE_NAMES:
        values = {name: values[name] for name in FEATURE_NAMES}
    for name, reason in reasons.items():
        log.debug("KIC %s: %s is NULL: %s", lc.kepler_id, name, reason)
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
    )
