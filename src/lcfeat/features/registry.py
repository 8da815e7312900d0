"""The single source of truth for every feature: name, domain, unit, definition, reference,
and the function that computes it.

Each domain module declares its features next to the code that computes them (`SPEC`, a
`spec.Domain`); this module collects the seven in table order. The database table,
`lcfeat features`, `docs/features.md` and the NULL policy applied to every extraction are
generated from `FEATURES` and `BY_DOMAIN`. The 63 names are fixed by the deployed database
(FEATURES.md, schema version 1); changing one needs a schema version and a migration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from lcfeat.features import centroid, frequency, residual, shape, statistical, temporal, transit
from lcfeat.features.null_policy import finish
from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, Extra, Feature

SCHEMA_VERSION = 1

#: Each domain, in table order, with its compute function (`BY_DOMAIN[name].compute`).
BY_DOMAIN: dict[str, Domain] = {
    spec.name: spec
    for spec in (statistical.SPEC, temporal.SPEC, frequency.SPEC, residual.SPEC, shape.SPEC,
                 transit.SPEC, centroid.SPEC)
}
DOMAINS: tuple[str, ...] = tuple(BY_DOMAIN)

#: Features per domain, as fixed by the deployed table (FEATURES.md).
DOMAIN_SIZES = {
    "statistical": 12,
    "temporal": 10,
    "frequency": 11,
    "residual": 8,
    "shape": 8,
    "transit": 10,
    "centroid": 4,
}

FEATURES: tuple[Feature, ...] = tuple(f for spec in BY_DOMAIN.values() for f in spec.features)
#: Stored beside the features in the same row, not among the 63.
EXTRAS: tuple[Extra, ...] = tuple(e for spec in BY_DOMAIN.values() for e in spec.extras)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
EXTRA_NAMES: tuple[str, ...] = tuple(e.name for e in EXTRAS)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}
N_FEATURES = len(FEATURES)


def names_in(domain: str) -> tuple[str, ...]:
    if domain not in BY_DOMAIN:
        raise KeyError(f"unknown domain {domain!r}")
    return BY_DOMAIN[domain].names


def units(names: Iterable[str]) -> dict[str, str]:
    """The unit of each feature or extra among `names` (others are left out)."""
    known = {f.name: f.unit for f in FEATURES} | {e.name: e.unit for e in EXTRAS}
    return {name: known[name] for name in names if name in known}


def compute_domain(domain: str, prepared: Prepared) -> DomainResult:
    """One domain's features of a prepared light curve, under the NULL policy."""
    spec = BY_DOMAIN[domain]
    return finish(spec, spec.compute(prepared))


def registry_hash() -> str:
    """A short hash of names, domains and units: changes whenever the contract does."""
    text = "\n".join(f"{f.name}|{f.domain}|{f.unit}" for f in FEATURES)
    text += "\n" + "\n".join(f"{e.name}|{e.unit}" for e in EXTRAS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check() -> None:
    if len(FEATURE_NAMES) != len(set(FEATURE_NAMES)):
        raise AssertionError("duplicate feature names in the registry")
    if tuple(DOMAIN_SIZES) != DOMAINS:
        raise AssertionError(f"domains {DOMAINS} are not those of the table {tuple(DOMAIN_SIZES)}")
    for name, spec in BY_DOMAIN.items():
        if len(spec.names) != DOMAIN_SIZES[name]:
            raise AssertionError(f"domain {name} has {len(spec.names)}, not {DOMAIN_SIZES[name]}")
        if any(f.domain != name for f in spec.features):
            raise AssertionError(f"domain {name} declares features of another domain")
    if N_FEATURES != 63:
        raise AssertionError(f"registry has {N_FEATURES} features, not 63")


_check()
