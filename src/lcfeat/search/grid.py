"""Trial periods and durations of the transit search.

Durations are tied to the period through the central-transit duration of a Sun-like star on a
circular orbit, `sun_like_duration(P)` (13 h at 365 d, 1.4 h at 0.5 d): each period tries boxes
from `DURATION_FRACTIONS[0]` to `DURATION_FRACTIONS[1]` times it, kept within 1 to 15 hours.

The period grid follows Ofir (2014, A&A 561, A138): frequencies spaced so that over the whole
baseline the phase of a trial drifts by a fixed fraction of the expected transit duration,
df = D_sun(P) f / (baseline x oversample), i.e. uniform in f^(1/3). `ofir_frequencies` gives
that grid exactly (for 1470 d, 0.5-100 d and oversample 3: about 183,000 frequencies).
`plan_ffa` lays out the same local density as groups of the fast-folding search: within a
group the trial frequencies are uniform with a step that moves the phase by one bin
(D_sun(P0) / oversample) over the baseline, which is Ofir's step at the group's period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from numba import njit

#: Gravitational constant (SI), solar mass (kg), nominal solar radius (m): IAU 2015 B3.
G_SI = 6.674e-11
M_SUN_KG = 1.98841e30
R_SUN_M = 6.957e8
DAY_S = 86400.0
HOUR_D = 1.0 / 24.0

#: Search range (days) of the registry: periods 0.5 to 100 d, durations 1 to 15 h.
PERIOD_MIN_D = 0.5
PERIOD_MAX_D = 100.0
DURATION_MIN_D = 1.0 * HOUR_D
DURATION_MAX_D = 15.0 * HOUR_D
#: Durations tried at a period, as fractions of the Sun-like central duration: 0.5 covers
#: grazing transits and M dwarfs, 2.5 subgiants and eccentric orbits (as TLS/Ofir tie them).
DURATION_FRACTIONS = (0.5, 2.5)
#: Ofir oversampling: phase drift over the baseline between neighbouring trials is
#: D_sun(P) / OVERSAMPLE. 3 gives ~183,000 trials for 1470 d (issue: 110k-170k at ~2-2.8).
OVERSAMPLE = 3
#: A trial period must fit at least this many times in the baseline.
MIN_TRANSITS = 3


@njit(cache=True, nogil=True)
def _sun_like_duration(period: float) -> float:
    """`sun_like_duration` of one period, compiled (within one unit in the last place of the
    same formula in Python: a few periods in 10,000 differ there)."""
    period_s = period * DAY_S
    semi_major = (G_SI * M_SUN_KG * period_s**2 / (4.0 * math.pi**2)) ** (1.0 / 3.0)
    return period_s / math.pi * math.asin(min(R_SUN_M / semi_major, 1.0)) / DAY_S


def sun_like_duration(period: np.ndarray | float) -> np.ndarray | float:
    """Central-transit duration (days) of a planet of `period` days around the Sun.

    D = P / pi x arcsin(R_sun / a), a from Kepler's third law with M_sun (circular orbit).
    """
    if isinstance(period, float | int):
        return _sun_like_duration(float(period))
    period_s = np.asarray(period, dtype=np.float64) * DAY_S
    semi_major = (G_SI * M_SUN_KG * period_s**2 / (4.0 * np.pi**2)) ** (1.0 / 3.0)
    duration = period_s / np.pi * np.arcsin(np.minimum(R_SUN_M / semi_major, 1.0)) / DAY_S
    return float(duration) if np.ndim(duration) == 0 else duration


def duration_range(period: float, max_duration: float = DURATION_MAX_D) -> tuple[float, float]:
    """Shortest and longest trial duration (days) at `period`, within 1 hour and
    `max_duration` (15 hours unless the detrending window asks for less)."""
    return _duration_range(float(period), float(max_duration))


@njit(cache=True, nogil=True)
def _duration_range(period: float, max_duration: float) -> tuple[float, float]:
    return _duration_range_of(_sun_like_duration(period), max_duration)


@njit(cache=True, nogil=True)
def _duration_range_of(central: float, max_duration: float) -> tuple[float, float]:
    """`duration_range` from the Sun-like duration `central` of the period."""
    cap = min(DURATION_MAX_D, max_duration)
    high = max(min(cap, DURATION_FRACTIONS[1] * central), DURATION_MIN_D)
    low = min(max(DURATION_MIN_D, DURATION_FRACTIONS[0] * central), high)
    return low, high


def search_period_range(baseline: float) -> tuple[float, float]:
    """Periods searched for a light curve spanning `baseline` days: every period of which
    MIN_TRANSITS transits can fall in it (the first at its start, the last at its end)."""
    longest = baseline / (MIN_TRANSITS - 1)
    return PERIOD_MIN_D, max(PERIOD_MIN_D, min(PERIOD_MAX_D, longest))


def ofir_frequencies(
    baseline: float,
    period_min: float = PERIOD_MIN_D,
    period_max: float = PERIOD_MAX_D,
    oversample: float = OVERSAMPLE,
    stellar_radius: float = 1.0,
    stellar_mass: float = 1.0,
) -> np.ndarray:
    """Ofir (2014) optimal frequency grid (cycles per day), ascending.

    x uniform, f = (A/3 x + C)^3 with A = (2 pi)^(2/3) / pi x R / (G M)^(1/3) / (S x OS)
    (Ofir 2014, eq. 5-7), S the baseline, R and M the stellar radius and mass (solar units).
    """
    if baseline <= 0 or period_min <= 0 or period_max <= period_min:
        raise ValueError("ofir_frequencies: need baseline > 0 and 0 < period_min < period_max")
    radius = stellar_radius * R_SUN_M
    mass = stellar_mass * M_SUN_KG
    a_coef = (
        (2.0 * np.pi) ** (2.0 / 3.0) / np.pi * radius / (G_SI * mass) ** (1.0 / 3.0)
        / (baseline * DAY_S * oversample)
    )
    f_min = 1.0 / (period_max * DAY_S)
    f_max = 1.0 / (period_min * DAY_S)
    c_coef = f_min ** (1.0 / 3.0) - a_coef / 3.0
    span = f_max ** (1.0 / 3.0) - f_min ** (1.0 / 3.0)
    n_freq = int(np.ceil((span + a_coef / 3.0) * 3.0 / a_coef))
    x = np.arange(n_freq, dtype=np.float64) + 1.0
    freq = (a_coef / 3.0 * x + c_coef) ** 3 * DAY_S
    return freq[(freq >= 1.0 / period_max) & (freq <= 1.0 / period_min)]


@dataclass(frozen=True)
class FfaPlan:
    """Groups of the fast-folding BLS, as flat arrays a compiled kernel can walk.

    Group g folds the light curve at frequency `f0[g]` into `n_bins[g]` phase bins in each of
    2**`log2_rows[g]` equal time chunks of the baseline; its trials are
    f0 + d x `step[g]` for d = 0 .. 2**log2_rows - 1 (the last group is cut at f_max), stored
    from `trial_offset[g]`. Box widths (in bins) are `widths[width_offset[g]:width_offset[g+1]]`.
    """

    t_start: float
    baseline: float
    f0: np.ndarray
    step: np.ndarray
    n_bins: np.ndarray
    log2_rows: np.ndarray
    n_trials: np.ndarray
    trial_offset: np.ndarray
    widths: np.ndarray
    width_offset: np.ndarray
    oversample: float

    @property
    def n_groups(self) -> int:
        return int(self.f0.size)

    @property
    def total_trials(self) -> int:
        return int(self.trial_offset[-1])

    def frequencies(self) -> np.ndarray:
        """Every trial frequency (cycles per day), ascending (read-only: computed once per
        plan, shared by every periodogram of it)."""
        return self._frequencies

    def group_of_trial(self) -> np.ndarray:
        """The group of every trial (read-only, computed once per plan)."""
        return self._group_of_trial

    @cached_property
    def _frequencies(self) -> np.ndarray:
        within = np.arange(self.total_trials) - np.repeat(self.trial_offset[:-1], self.n_trials)
        frequency = np.repeat(self.f0, self.n_trials) + np.repeat(self.step, self.n_trials) * within
        frequency.flags.writeable = False
        return frequency

    @cached_property
    def _group_of_trial(self) -> np.ndarray:
        group = np.repeat(np.arange(self.n_groups), self.n_trials)
        group.flags.writeable = False
        return group


# A star searched again on the same cadences (after a sinusoid is fitted out) reuses its
# plan, which takes milliseconds to lay out; its arrays are read-only.
@lru_cache(maxsize=8)
def plan_ffa(
    t_start: float,
    baseline: float,
    n_points: int,
    period_min: float | None = None,
    period_max: float | None = None,
    oversample: float = OVERSAMPLE,
    max_duration: float = DURATION_MAX_D,
) -> FfaPlan:
    """Lay out the fast-folding search over [period_min, period_max] for this light curve.

    The phase bin of a group is D_sun(P0) / oversample (P0 = 1 / f0), so a trial step (one bin
    of drift over the baseline) is Ofir's step at P0; when `max_duration` caps the trial
    durations below half of D_sun, the bin shrinks with them (2 x shortest / oversample).
    The number of time chunks is the power of two nearest n_points / n_bins (cost balance:
    folding N points vs the FFA tree).
    """
    default_min, default_max = search_period_range(baseline)
    period_min = default_min if period_min is None else period_min
    period_max = default_max if period_max is None else period_max
    if not 0 < period_min < period_max:
        raise ValueError(f"plan_ffa: bad period range {period_min}-{period_max} d")
    # A zero-length baseline would make every step infinite: treat it as one cadence.
    span = max(baseline, 1.0 / 48.0) * (1.0 + 1e-9)
    f0s, steps, bins, logs, counts, widths_all, width_counts = _plan_groups(
        1.0 / period_max, 1.0 / period_min, span, n_points, float(oversample),
        float(max_duration))
    return FfaPlan(
        t_start=float(t_start),
        baseline=span,
        f0=_read_only(f0s, np.float64),
        step=_read_only(steps, np.float64),
        n_bins=_read_only(bins, np.int64),
        log2_rows=_read_only(logs, np.int64),
        n_trials=_read_only(counts, np.int64),
        trial_offset=_read_only(np.concatenate(([0], np.cumsum(counts))), np.int64),
        widths=_read_only(widths_all, np.int64),
        width_offset=_read_only(np.concatenate(([0], np.cumsum(width_counts))), np.int64),
        oversample=float(oversample),
    )


@njit(cache=True, nogil=True)
def _plan_groups(f: float, f_max: float, span: float, n_points: int, oversample: float,
                 max_duration: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                             np.ndarray, np.ndarray, np.ndarray]:
    """`plan_ffa`'s groups from frequency `f` up to `f_max` (cycles per day) over a baseline
    of `span` days: each group's base frequency, step, bins, log2 of its rows, number of
    trials, and its box widths (all groups' in a row, with the count of each group's),
    compiled (about 400 groups for a 17-quarter light curve: 1.6 ms per plan in Python, 0.1
    ms compiled)."""
    # Empty typed lists (numba types a list by its first element or a comprehension).
    f0s = [0.0 for _ in range(0)]
    steps = [0.0 for _ in range(0)]
    bins = [0 for _ in range(0)]
    logs = [0 for _ in range(0)]
    counts = [0 for _ in range(0)]
    widths_all = [0 for _ in range(0)]
    width_counts = [0 for _ in range(0)]
    while f <= f_max:
        period = 1.0 / f
        central = _sun_like_duration(period)
        low, high = _duration_range_of(central, max_duration)
        # The bin is a third of the Sun-like duration (oversample 3), or finer when the
        # duration cap keeps every trial shorter than half of it.
        reference = min(central, 2.0 * low)
        n_bins = max(4, int(round(oversample * period / reference)))
        bin_width = period / n_bins
        w_low = max(1, int(round(low / bin_width)))
        w_high = max(w_low, int(round(high / bin_width)))
        w_last = min(w_high, n_bins - 1)
        log2_rows = min(max(int(round(math.log2(max(n_points, 1) / n_bins))), 2), 12)
        rows = 1 << log2_rows
        chunk = span / rows
        step = 1.0 / ((rows - 1) * n_bins * chunk)
        n = min(rows, math.floor((f_max - f) / step) + 1)
        f0s.append(f)
        steps.append(step)
        bins.append(n_bins)
        logs.append(log2_rows)
        counts.append(n)
        for w in range(w_low, w_last + 1):
            widths_all.append(w)
        width_counts.append(max(0, w_last - w_low + 1))
        f += rows * step
    return (np.array(f0s), np.array(steps), np.array(bins), np.array(logs), np.array(counts),
            np.array(widths_all), np.array(width_counts))


def _read_only(values: object, dtype: type) -> np.ndarray:
    """`values` as a new array that cannot be written to: a plan is shared by every search
    of the same cadences (`plan_ffa`'s cache)."""
    array = np.array(values, dtype=dtype)
    array.flags.writeable = False
    return array
