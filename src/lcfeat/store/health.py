"""The health rules of a features table (`lcfeat status`): what counts as a warning.

The registry (which loads the feature stack) is imported where it is used: `lcfeat --help`
reads STALL_MINUTES from here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

#: A feature NULL for more than 5% of the done targets is worth a warning.
MIN_FILL_RATE = 0.95
#: The mean of stat_mean over done targets: 1 within this (the warning says 1e-3), or the
#: normalisation is off.
STAT_MEAN_TOLERANCE = 1e-3
#: Minutes without a finished target, with targets pending, before a run looks stalled.
STALL_MINUTES = 30.0


def domain_fill_rates(status: Any) -> dict[str, float]:
    """Mean non-NULL share of each domain's features over the done targets."""
    from lcfeat.features.registry import DOMAINS, names_in

    rates = {}
    for domain in DOMAINS:
        shares = [status.fill_rate[name] for name in names_in(domain)]
        rates[domain] = sum(shares) / len(shares)
    return rates


def health_warnings(status: Any, stall_minutes: float = STALL_MINUTES,
                    now: datetime | None = None) -> list[str]:
    """One line per problem: sparse columns, a normalisation off 1, a stalled run."""
    warnings: list[str] = []
    if status.done:
        for name, rate in status.fill_rate.items():
            if rate < MIN_FILL_RATE:
                warnings.append(f"{name} is NULL for {100 * (1 - rate):.1f}% of done targets")
        if (status.mean_stat_mean is not None
                and abs(status.mean_stat_mean - 1) > STAT_MEAN_TOLERANCE):
            warnings.append(f"mean stat_mean is {status.mean_stat_mean:.6f}, not 1 +- 1e-3: "
                            "check the normalisation")
    if status.last_update is not None and status.pending:
        idle = (now or datetime.now(UTC)) - status.last_update
        if idle > timedelta(minutes=stall_minutes):
            warnings.append(f"no target finished in the last {idle.total_seconds() / 60:.0f} "
                            f"minutes with {status.pending} pending: is the run stalled?")
    return warnings
