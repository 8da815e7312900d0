"""The NULL policy in one place: every feature and every extra is a finite float, or None
with a reason.

`finish` is applied to every domain's result by the registry (`registry.compute_domain`): a
value that came out non-finite (overflow on huge inputs, 0/0 on degenerate ones) becomes NULL
with a reason instead of reaching the table as inf or NaN; a key the domain does not declare,
a declared feature left out, or a NULL without a reason is a programming error (an extra left
out is a NULL: it needs a reason too).
"""

from __future__ import annotations

import math

from lcfeat.features.spec import Domain, DomainResult, Value

NON_FINITE_REASON = "result is not finite (overflow or degenerate input)"


class RegistryMismatchError(AssertionError):
    """A domain returned a key the registry does not define, or left one out: a bug."""


def finish(domain: Domain, result: DomainResult) -> DomainResult:
    """Exactly the domain's declared names in registry order, then its extras in declared
    order, each a finite float or None with a reason."""
    names = domain.names
    got = set(result.values)
    if got != set(names):
        raise RegistryMismatchError(
            f"domain {domain.name}: unknown keys {sorted(got - set(names))}, "
            f"missing keys {sorted(set(names) - got)}"
        )
    unknown_extras = set(result.extras) - set(domain.extra_names)
    if unknown_extras:
        raise RegistryMismatchError(
            f"domain {domain.name}: unknown extras {sorted(unknown_extras)}")
    reasons: dict[str, str] = {}
    out = {name: _finite(name, result.values[name], result.null_reasons, reasons)
           for name in names}
    extras = {name: _finite(name, result.extras.get(name), result.null_reasons, reasons)
              for name in domain.extra_names}
    return DomainResult(out, reasons, extras)


def _finite(name: str, value: Value, given: dict[str, str], reasons: dict[str, str]) -> Value:
    """`value` as a finite float, or None with its reason recorded in `reasons` (the domain's
    own from `given`; NON_FINITE_REASON for inf or NaN)."""
    if value is None:
        if not given.get(name):
            raise RegistryMismatchError(f"{name} is NULL without a reason")
        reasons[name] = given[name]
        return None
    if math.isfinite(value):
        return float(value)
    reasons[name] = NON_FINITE_REASON
    return None
