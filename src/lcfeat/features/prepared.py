"""The prepared light curve every domain reads: the cleaned flux and the series derived from
it (segments, residuals), each computed once and shared."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from lcfeat.lightcurve.model import LightCurve
from lcfeat.lightcurve.robust import (
    KEPLER_CADENCE_D,
    biweight_trend,
    median_cadence,
    odd_cadences_in,
    point_to_point_sigma,
    running_median,
    segment_bounds,
    trend_stride,
)

#: A cadence this many robust sigma above its running median is a cosmic-ray candidate
#: (never a dip) ...
COSMIC_RAY_SIGMA = 5.0
#: ... and a cosmic ray when neither neighbour is more than this many sigma above it: a
#: cosmic ray hits one cadence, a flare rises and decays over several, and stays.
COSMIC_RAY_NEIGHBOUR_SIGMA = 3.0
#: Running-median width against which cosmic rays are judged: 4.4 hours (9 Kepler long
#: cadences), in cadences of the light curve (the nearest odd number).
COSMIC_RAY_WINDOW_D = 9 * KEPLER_CADENCE_D
#: ... which is this many cadences at Kepler's long cadence.
COSMIC_RAY_WINDOW = 9
#: Window of the biweight detrending used by the residual domain (days).
RESIDUAL_DETREND_WINDOW_DAYS = 1.0


def cosmic_ray_mask(flux: np.ndarray, sigma: float = COSMIC_RAY_SIGMA,
                    window: int = COSMIC_RAY_WINDOW) -> np.ndarray:
    """True for cadences to keep: drops single-cadence upward spikes only.

    A cadence is a cosmic ray when it lies more than `sigma` point-to-point sigmas above the
    running median of the `window` cadences around it (COSMIC_RAY_WINDOW_D in cadences of the
    light curve) while both neighbours lie within COSMIC_RAY_NEIGHBOUR_SIGMA of it: one
    cadence alone, as a cosmic ray in one exposure. A flare's peak has its rise or its decay
    beside it and is kept (flares are the star's light); dips are never removed (a transit is
    the signal).
    """
    keep = np.ones(flux.shape, dtype=bool)
    if flux.size < window:
        return keep
    noise = point_to_point_sigma(flux)
    if not np.isfinite(noise) or noise <= 0:
        return keep
    excess = flux - running_median(flux, window)
    spike = excess > sigma * noise
    raised = excess > COSMIC_RAY_NEIGHBOUR_SIGMA * noise
    # Neighbours across a gap count too: a lone spike beside a gap is still alone.
    raised_before = np.concatenate(([False], raised[:-1]))
    raised_after = np.concatenate((raised[1:], [False]))
    keep &= ~(spike & ~raised_before & ~raised_after)
    return keep


class Prepared:
    """A light curve with the derived series the domains share, each computed once."""

    def __init__(self, lc: LightCurve) -> None:
        self.lc = lc

    @cached_property
    def cadence(self) -> float:
        """The light curve's cadence (days): the median time between consecutive cadences.
        Every window defined in time becomes cadences through it."""
        time = self.lc.time
        return median_cadence(time[np.isfinite(time)])

    @cached_property
    def clean_mask(self) -> np.ndarray:
        window = odd_cadences_in(COSMIC_RAY_WINDOW_D, self.cadence, minimum=3)
        return cosmic_ray_mask(self.lc.flux, window=window)

    @cached_property
    def time(self) -> np.ndarray:
        return self.lc.time[self.clean_mask]

    @cached_property
    def flux(self) -> np.ndarray:
        """Normalised flux, single-cadence cosmic rays removed, flares and dips kept."""
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
        """wotan biweight trend of the clean flux (window RESIDUAL_DETREND_WINDOW_DAYS),
        computed every `trend_stride` cadences and interpolated between, as the search's."""
        return biweight_trend(self.time, self.flux, RESIDUAL_DETREND_WINDOW_DAYS,
                              trend_stride(RESIDUAL_DETREND_WINDOW_DAYS, self.cadence))

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
