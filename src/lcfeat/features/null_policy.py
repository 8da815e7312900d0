"""The NULL policy in one place: every feature is a finite float, or None with a reason.

Domain modules compute into a plain dict and call `finish`: a value that came out non-finite
(overflow on huge inputs, 0/0 on degenerate ones) becomes NULL with a reason instead of
reaching the table as inf or NaN, and a missing reason is a programming error.
"""

from __future__ import annotations

import math

import numpy as np

from lcfeat.features.base import DomainResult, Value
from lcfeat.features.registry import names_in

NON_FINITE_REASON = "result is not finite (overflow or degenerate input)"


def finish(
    domain: str,
    values: dict[str, Value],
    null_reasons: dict[str, str],
    extras: dict[str, Value] | None = None,
) -> DomainResult:
    """Exactly the domain's registry names, each a finite float or None with a reason."""
    names = names_in(domain)
    unknown = set(values) - set(names)
    if unknown:
        raise AssertionError(f"not {domain} features: {', '.join(sorted(unknown))}")
    out: dict[str, Value] = {}
    reasons: dict[str, str] = {}
    for name in names:
        value = values.get(name)
        if value is None:
            if name not in null_reasons:
                raise AssertionError(f"{name} is NULL without a reason")
            reasons[name] = null_reasons[name]
            out[name] = None
        elif math.isfinite(value):
            out[name] = float(value)
        else:
            out[name] = None
            reasons[name] = NON_FINITE_REASON
    clean_extras: dict[str, Value] = {}
    for name, value in (extras or {}).items():
        clean_extras[name] = float(value) if value is not None and math.isfinite(value) else None
    return DomainResult(out, reasons, clean_extras)


def finite_cadences(time: np.ndarray, flux: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cadences with finite time and flux (the arrays themselves when all are finite).

    A `LightCurve` read from files holds only finite values; one built by hand may not, and
    a stray NaN must not turn a sort or a median into garbage.
    """
    ok = np.isfinite(time) & np.isfinite(flux)
    if ok.all():
        return time, flux
    return time[ok], flux[ok]
