"""Flares of a light curve: runs of cadences well above the star's quiescent flux.

The criterion is that of Chang et al. (2015, ApJ 814, 35, Eqs. 3a-d) with the defaults of
AltaiPony's `find_flares_in_cont_obs_period` (N1 = 3, N2 = 2, N3 = 3; candidates fewer than 3
cadences apart are one event, as in its `find_flares`), so that a flare rate or a flux
fraction means what it means in flare-frequency studies. It is written vectorised: no loop
over cadences.

The quiescent flux is the running median over 6.4 hours (13 Kepler long cadences): it follows
what varies more slowly, and a flare of a few hours stands out of it. It cuts a fast
rotator's maxima flat, though (on GJ 1243, rotation 0.59 d, 127 of 149 runs found against it
fell within the same tenth of the rotation), so the flux given here should have the star's
periodic variability divided out first (the shape domain divides by the transit search's
harmonic model). A 1-day biweight trend is no quiescent flux either: it rises under a flare's
slow tail (flux divided by it kept about half the flux of flares of 30-70 minutes FWHM
injected into KOI-3278). Flares are only counted here, never removed from any flux.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lcfeat.lightcurve.robust import (
    KEPLER_CADENCE_D,
    median_cadence,
    odd_cadences_in,
    robust_sigma,
    running_median,
    true_runs,
)

#: A cadence is part of a flare when its excess is above N1 sigma ...
N1 = 3.0
#: ... and still above N2 sigma once its own flux error is taken off ...
N2 = 2.0
#: ... in a run of at least N3 consecutive such cadences (Chang et al. 2015, Eqs. 3a-d).
N3 = 3
#: Runs fewer than this many cadences apart are one event (AltaiPony's `minsep`).
MERGE_CADENCES = 3
#: Two cadences are consecutive when adjacent and at most this many cadences apart in time:
#: a run never bridges a data gap.
MAX_STEP_CADENCES = 1.5
#: Width of the running median that gives the quiescent flux: 6.4 hours (13 Kepler long
#: cadences), in cadences of the light curve.
QUIESCENT_WINDOW_D = 13 * KEPLER_CADENCE_D
#: Fewer cadences than this give no flare statistics (no meaningful median or sigma).
MIN_CADENCES = 20


class FlaresNotMeasurableError(ValueError):
    """The light curve gives nothing to measure flares against; the message says why."""


@dataclass(frozen=True, eq=False)
class Flares:
    """The flares found in a light curve and the time it was observed.

    `start` and `stop` index each event's first cadence and the one after its last, in the
    arrays given to `find_flares`; `equivalent_duration` (days) is the sum of the excess x
    cadence over the event's cadences (the time the quiescent star takes to emit what the
    flare did); `observing_time` (days) is the number of cadences x the cadence.
    """

    start: np.ndarray
    stop: np.ndarray
    equivalent_duration: np.ndarray
    observing_time: float

    @property
    def count(self) -> int:
        return int(self.start.size)

    @property
    def rate(self) -> float:
        """Flares per day of observing time."""
        return self.count / self.observing_time

    @property
    def flux_fraction(self) -> float:
        """Summed equivalent durations over the observing time: the share of the star's light
        (in the band observed) emitted in the detected flares, L_flare / L_quiescent."""
        return float(np.sum(self.equivalent_duration)) / self.observing_time


def quiescent_window(cadence: float) -> int:
    """QUIESCENT_WINDOW_D in cadences of `cadence` days (odd, at least 3): the same time span
    whatever the cadence."""
    return odd_cadences_in(QUIESCENT_WINDOW_D, cadence, minimum=3)


def find_flares(time: np.ndarray, flux: np.ndarray, flux_err: np.ndarray | None = None,
                cadence: float | None = None) -> Flares:
    """The flares of a light curve (`flux` at `time` with errors `flux_err`, sampled every
    `cadence` days: by default the median step of `time`).

    The excess of a cadence is its flux over the quiescent flux (the running median over
    `quiescent_window` cadences) minus 1.
    It passes when it is positive, above N1 sigma, and above N2 sigma once the cadence's error
    (relative to the quiescent flux) is taken off; sigma is the robust sigma of the excess,
    and the error test is skipped where the error is missing or not finite. An event is a run
    of N3 or more consecutive passing cadences; runs fewer than MERGE_CADENCES cadences apart
    (in time) are one.

    Raises FlaresNotMeasurableError when there is nothing to measure against: fewer than
    MIN_CADENCES finite cadences or fewer than the quiescent window holds, no cadence, a
    quiescent flux that is not positive, or a sigma that is zero or not finite.
    """
    time = np.asarray(time, dtype=np.float64)
    flux = np.asarray(flux, dtype=np.float64)
    kept = np.flatnonzero(np.isfinite(time) & np.isfinite(flux))
    if kept.size < MIN_CADENCES:
        raise FlaresNotMeasurableError(
            f"{kept.size} finite cadences, fewer than {MIN_CADENCES}: no flare statistics")
    t, f = time[kept], flux[kept]
    if cadence is None:
        cadence = median_cadence(t)
    if not (np.isfinite(cadence) and cadence > 0):
        raise FlaresNotMeasurableError("no cadence: the time stamps do not advance")
    window = quiescent_window(cadence)
    if kept.size < window:
        raise FlaresNotMeasurableError(
            f"{kept.size} finite cadences, fewer than the {window} of the quiescent window")
    level = running_median(f, window)
    if not np.all(level > 0):
        raise FlaresNotMeasurableError(
            "the quiescent flux (running median) is not positive everywhere")
    excess = f / level - 1.0
    sigma = robust_sigma(excess)
    if not (np.isfinite(sigma) and sigma > 0):
        raise FlaresNotMeasurableError(
            "the flux has no scatter about its quiescent level to measure flares against")

    passing = (excess > 0) & (excess > N1 * sigma)
    if flux_err is not None:
        err = np.asarray(flux_err, dtype=np.float64)[kept] / level
        passing &= ~np.isfinite(err) | (excess - err > N2 * sigma)

    # Runs of linked pairs (both passing, no gap between): a run of k pairs is k + 1 cadences.
    linked = passing[:-1] & passing[1:] & (np.diff(t) <= MAX_STEP_CADENCES * cadence)
    start, stop = true_runs(linked)
    stop = stop + 1
    long_enough = stop - start >= N3
    start, stop = start[long_enough], stop[long_enough]
    if start.size == 0:
        return Flares(start, stop, np.empty(0), kept.size * cadence)

    # A run beginning at most MERGE_CADENCES cadences after the last of the one before
    # (fewer than MERGE_CADENCES cadences between them) continues its event.
    apart = t[start[1:]] - t[stop[:-1] - 1] > (MERGE_CADENCES + 0.5) * cadence
    start = start[np.concatenate(([True], apart))]
    stop = stop[np.concatenate((apart, [True]))]
    # Sums of the excess over [start, stop): the even slots of a reduceat over the bounds.
    sums = np.add.reduceat(np.append(excess, 0.0), np.column_stack((start, stop)).ravel())[::2]
    return Flares(start=kept[start], stop=kept[stop - 1] + 1,
                  equivalent_duration=sums * cadence, observing_time=kept.size * cadence)
