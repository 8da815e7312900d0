"""What a feature domain declares and returns.

A domain module (tsfresh's calculators are the model) declares its features next to the code
that computes them, and exposes one `Domain`: its name, the flux it works on, its features,
the values stored beside them (extras), and `compute(prepared) -> DomainResult`, a pure
function of the light curve. `lcfeat.features.registry` collects the seven domains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lcfeat.features.prepared import Prepared

Value = float | None


@dataclass(frozen=True)
class Feature:
    """One column of the table: fixed name, unit, definition and reference."""

    name: str
    domain: str
    unit: str
    definition: str
    reference: str


@dataclass(frozen=True)
class Extra:
    """A value stored beside the features (not one of the 63)."""

    name: str
    unit: str
    definition: str


@dataclass
class DomainResult:
    """A domain's values and extras; NULL is `None` in `values` or `extras` with a reason
    in `null_reasons` (keyed by the feature's or the extra's name)."""

    values: dict[str, Value]
    null_reasons: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Value] = field(default_factory=dict)

    @classmethod
    def all_null(cls, names: Iterable[str], reason: str,
                 extra_names: Iterable[str] = ()) -> DomainResult:
        """Every named value and extra NULL for one reason."""
        return cls({}).set_null(names, reason).set_extras_null(extra_names, reason)

    def set_null(self, names: Iterable[str], reason: str) -> DomainResult:
        """Make the named values NULL for `reason` (the one way a domain writes a NULL)."""
        for name in names:
            self.values[name] = None
            self.null_reasons[name] = reason
        return self

    def set_extras_null(self, names: Iterable[str], reason: str) -> DomainResult:
        """Make the named extras NULL for `reason`."""
        for name in names:
            self.extras[name] = None
            self.null_reasons[name] = reason
        return self

    def set_extra(self, name: str, value: Value, reason: str) -> None:
        """The extra `value`, or NULL for `reason` when it is None."""
        if value is None:
            self.set_extras_null((name,), reason)
        else:
            self.extras[name] = value

    def set(self, name: str, value: Value, reason: str = "") -> None:
        """`value`, or NULL for `reason` when it is None."""
        if value is None:
            self.set_null((name,), reason)
        else:
            self.values[name] = value


@dataclass(frozen=True)
class Domain:
    """A feature domain: what it computes, from which flux, and the function that does it."""

    name: str
    flux: str
    features: tuple[Feature, ...]
    compute: Callable[[Prepared], DomainResult]
    extras: tuple[Extra, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @property
    def extra_names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.extras)


def declare(domain: str, *rows: tuple[str, str, str, str]) -> tuple[Feature, ...]:
    """Features of `domain` from (name, unit, definition, reference) rows."""
    return tuple(Feature(name, domain, unit, definition, reference)
                 for name, unit, definition, reference in rows)
