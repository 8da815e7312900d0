"""What every domain module shares: the result type and the prepared (cleaned) flux.

A domain module exposes `compute(prepared: Prepared) -> DomainResult`: a pure function of the
light curve. NULL is `None` in `values` and must come with a reason in `null_reasons`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.ndimage import median_filter

from lcfeat.lightcurve import LightCurve

#: A gap longer than this (days) starts a new continuous segment.
SEGMENT_GAP_DAYS = 0.5
#: A cadence this many robust sigma above its running median is a cosmic ray (never a dip).
COSMIC_RAY_SIGMA = 5.0
#: Running-median width (cadences) against which cosmic rays are judged.
COSMIC_RAY_WINDOW = 9
#: Window of the biweight detrending used by the residual domain (days).
RESIDUAL_DETREND_WINDOW_DAYS = 1.0

Value = float | None


@dataclass
class DomainResult:
    values: dict[str, Value]
    null_reasons: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Value] = field(default_factory=dict)

    @classmethod
    def all_null(cls, names: tuple[str, ...], reason: str) -> DomainResult:
        return cls({n: None for n in names}, {n: reason for n in names})


def robust_sigma(x: np.ndarray) -> float:
    """1.4826 x median absolute deviation: sigma for Gaussian noise, blind to outliers."""
    if x.size == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def point_to_point_sigma(x: np.ndarray) -> float:
    """White-noise sigma from successive differences, insensitive to slow variability."""
    if x.size < 3:
        return float("nan")
    return robust_sigma(np.diff(x)) / np.sqrt(2.0)


def segment_bounds(time: np.ndarray, gap: float = SEGMENT_GAP_DAYS) -> np.ndarray:
    """Start indices of continuous segments, followed by len(time)."""
    breaks = np.flatnonzero(np.diff(time) > gap) + 1
    return np.concatenate(([0], breaks, [time.size])).astype(np.int64)


def biweight_trend(time: np.ndarray, flux: np.ndarray, window: float) -> np.ndarray:
    """Robust (wotan biweight) trend of `flux` over `window` days, split at gaps."""
    import warnings

    from wotan import flatten

    with warnings.catch_warnings():
        # Non-positive trends (nonsense flux) are dropped by the callers; no need to warn.
        warnings.filterwarnings("ignore", message="The trend is zero or negative")
        _, trend = flatten(
            time,
            flux,
            method="biweight",
            window_length=window,
            edge_cutoff=0.0,
            break_tolerance=SEGMENT_GAP_DAYS,
            return_trend=True,
        )
    return np.asarray(trend, dtype=np.float64)


def cosmic_ray_mask(flux: np.ndarray, sigma: float = COSMIC_RAY_SIGMA) -> np.ndarray:
    """True for cadences to keep: drops single-sided positive outliers only.

    A cadence is a cosmic ray when it lies more than `sigma` point-to-point sigmas above the
    running median of its neighbours. Dips are never removed: a transit is the signal.
    """
    keep = np.ones(flux.shape, dtype=bool)
    if flux.size < COSMIC_RAY_WINDOW:
        return keep
    noise = point_to_point_sigma(flux)
    if not np.isfinite(noise) or noise <= 0:
        return keep
    running = median_filter(flux, size=COSMIC_RAY_WINDOW, mode="nearest")
    keep &= (flux - running) <= sigma * noise
    return keep


class Prepared:
    """A light curve with the derived series the domains share, each computed once."""

    def __init__(self, lc: LightCurve) -> None:
        self.lc = lc

    @cached_property
    def clean_mask(self) -> np.ndarray:
        return cosmic_ray_mask(self.lc.flux)

    @cached_property
    def time(self) -> np.ndarray:
        return self.lc.time[self.clean_mask]

    @cached_property
    def flux(self) -> np.ndarray:
        """Normalised flux, cosmic rays removed, dips kept."""
        return self.lc.flux[self.clean_mask]

    @cached_property
    def flux_err(self) -> np.ndarray:
        return self.lc.flux_err[self.clean_mask]

    @cached_property
    def quarter(self) -> np.ndarray:
        return self.lc.quarter[self.clean_mask]

    @cached_property
    def segments(self) -> np.ndarray:
        return segment_bounds(self.time)

    @cached_property
    def residual_trend(self) -> np.ndarray:
        """wotan biweight trend of the clean flux (window RESIDUAL_DETREND_WINDOW_DAYS)."""
        return biweight_trend(self.time, self.flux, RESIDUAL_DETREND_WINDOW_DAYS)

    @cached_property
    def residuals(self) -> np.ndarray:
        """flux / trend - 1, with cadences whose trend is undefined dropped."""
        trend = self.residual_trend
        ok = np.isfinite(trend) & (trend != 0)
        return self.flux[ok] / trend[ok] - 1.0

    @cached_property
    def residual_time(self) -> np.ndarray:
        trend = self.residual_trend
        ok = np.isfinite(trend) & (trend != 0)
        return self.time[ok]
