"""The search never divides by a zero time step: repeated or identical time stamps."""

from __future__ import annotations

import numpy as np

from lcfeat.lightcurve import read_light_curve
from lcfeat.lightcurve.robust import median_cadence
from lcfeat.search.transits import search_transits
from tests.conftest import quarter_files


def test_the_median_cadence_skips_zero_steps():
    time = np.repeat(np.arange(10) * 0.0204, 2)  # every cadence twice
    assert median_cadence(time) == np.float64(0.0204)
    assert np.isnan(median_cadence(np.full(5, 3.0)))
    assert median_cadence(np.array([1.0]), default=1.0) == 1.0


def test_a_light_curve_with_every_time_stamp_twice_is_searched():
    """Kepler-10 with each cadence repeated (a quarter read twice, as if stitched without
    removing duplicates): the search still finds Kepler-10 b instead of dividing by zero."""
    lc = read_light_curve(quarter_files(11904151))
    found = search_transits(np.repeat(lc.time, 2), np.repeat(lc.flux, 2))
    assert abs(found.candidate.period - 0.8375) < 0.001
