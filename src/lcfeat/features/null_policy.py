"""The NULL policy in one place: every feature is a finite float, or None with a reason.

`finish` is applied to every domain's result by the registry (`registry.compute_domain`): a
value that came out non-finite (overflow on huge inputs, 0/0 on degenerate ones) becomes NULL
with a reason instead of reaching the table as inf or NaN; a key the domain does not declare,
a declared key left out, or a NULL without a reason is a programming error.
"""

from __future__ import annotations

import math

from lcfeat.features.spec import Domain, DomainResult, Value

NON_FINITE_REASON = "result is not finite (overflow or degenerate input)"


class RegistryMismatchError(AssertionError):
    """A domain returned a key the registry does not define, or left one out: a bug."""


def finish(domain: Domain, result: DomainResult) -> DomainResult:
    """Exactly the domain's declared names in registry order, each a finite float or None
    with a reason; extras finite or None, in declared order."""
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
    out: dict[str, Value] = {}
    reasons: dict[str, str] = {}
    for name in names:
        value = result.values[name]
        if value is None:
            if name not in result.null_reasons:
                raise RegistryMismatchError(f"{name} is NULL without a reason")
            reasons[name] = result.null_reasons[name]
            out[name] = None
        elif math.isfinite(value):
            out[name] = float(value)
        else:
            out[name] = None
            reasons[name] = NON_FINITE_REASON
    extras: dict[str, Value] = {}
    for name in domain.extra_names:
        value = result.extras.get(name)
        extras[name] = float(value) if value is not None and math.isfinite(value) else None
    return DomainResult(out, reasons, extras)
