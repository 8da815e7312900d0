"""The period grid (Ofir 2014) and the durations tied to the period."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lcfeat.search.grid import (
    DURATION_MAX_D,
    DURATION_MIN_D,
    HOUR_D,
    duration_range,
    ofir_frequencies,
    plan_ffa,
    sun_like_duration,
)

KEPLER_BASELINE_D = 1470.0


def test_earth_transit_lasts_thirteen_hours():
    # The Earth seen transiting the Sun centrally lasts 13.0 h (e.g. Seager & Mallen-Ornelas
    # 2003, Kipping 2010); our formula has no free parameter, so 2% is rounding only.
    assert sun_like_duration(365.25) / HOUR_D == pytest.approx(13.0, rel=0.02)


@pytest.mark.parametrize("period", [0.5, 0.8375, 3.0, 12.0, 45.0, 88.18, 100.0])
def test_durations_are_tied_to_the_period_within_1_to_15_hours(period):
    low, high = duration_range(period)
    assert DURATION_MIN_D <= low <= high <= DURATION_MAX_D
    central = sun_like_duration(period)
    # Unless clipped to 1-15 h, the range is 0.5-2.5 times the Sun-like central duration.
    assert low == pytest.approx(max(DURATION_MIN_D, 0.5 * central))
    assert high == pytest.approx(min(DURATION_MAX_D, 2.5 * central))


def test_duration_cap_is_respected():
    low, high = duration_range(100.0, max_duration=0.1)
    assert high == pytest.approx(0.1)
    assert low <= high


def test_ofir_grid_size_and_spacing():
    freq = ofir_frequencies(KEPLER_BASELINE_D, 0.5, 100.0, oversample=3)
    # Issue 4 expects roughly 110k-170k periods for ~1470 d at oversampling ~2-3.
    assert 110_000 <= freq.size <= 190_000
    assert np.all(np.diff(freq) > 0)
    assert freq[0] >= 1 / 100.0 and freq[-1] <= 2.0
    # Ofir's grid is uniform in f^(1/3) ...
    steps = np.diff(np.cbrt(freq))
    assert np.ptp(steps) < 1e-9 * steps.mean() + 1e-15
    # ... which is the same as: the phase drift over the baseline between two neighbours
    # equals the Sun-like duration / oversample (Ofir 2014, section 2), checked here from the
    # duration formula rather than from Ofir's constant A.
    mid = freq[::5000]
    drift = np.diff(freq)[::5000] * KEPLER_BASELINE_D  # cycles gained over the baseline
    expected = sun_like_duration(1 / mid) * mid / 3.0
    # 3%: Ofir's constant uses arcsin(R/a) ~ R/a, which is 2.9% short at 0.5 d (R/a = 0.4).
    assert np.allclose(drift, expected, rtol=0.03)


def test_ffa_plan_follows_ofir_density():
    plan = plan_ffa(0.0, KEPLER_BASELINE_D, 65_000)
    freq = plan.frequencies()
    ofir = ofir_frequencies(KEPLER_BASELINE_D * (1 + 1e-9), 0.5, 100.0, oversample=3)
    assert np.all(np.diff(freq) > 0)
    assert freq[0] == pytest.approx(0.01)
    assert 2.0 - freq[-1] < plan.step[-1] * 1.0001
    # Locally the step is Ofir's (bins are rounded to whole numbers per group: a few %).
    ofir_step = np.interp(plan.f0, ofir[:-1], np.diff(ofir))
    ratio = plan.step * (plan.n_trials > 1) / ofir_step
    ratio = ratio[plan.n_trials > 1]
    assert np.all((ratio > 0.9) & (ratio < 1.1))
    assert freq.size == pytest.approx(ofir.size, rel=0.02)


def test_ffa_plan_widths_span_the_trial_durations():
    plan = plan_ffa(0.0, 90.0, 4000)
    for g in range(0, plan.n_groups, 37):
        period = 1.0 / plan.f0[g]
        bin_width = period / plan.n_bins[g]
        widths = plan.widths[plan.width_offset[g]:plan.width_offset[g + 1]]
        low, high = duration_range(period)
        # Widths are whole bins (a third of the Sun-like duration): within half a bin.
        assert widths.min() * bin_width <= low + 0.5 * bin_width
        assert widths.max() * bin_width >= high - 0.5 * bin_width


def test_short_baseline_limits_the_longest_period():
    plan = plan_ffa(0.0, 60.0, 3000)
    # Three transits must fit (Kepler's pipeline asks as many): the first at the start, the
    # third at the end, so periods up to half the baseline.
    assert 1.0 / plan.frequencies()[0] == pytest.approx(30.0)


def test_a_plan_is_shared_and_cannot_be_changed():
    # A star searched again on the same cadences gets the same plan, which no search can
    # alter for the next.
    plan = plan_ffa(0.0, 90.0, 4000)
    assert plan_ffa(0.0, 90.0, 4000) is plan
    assert plan_ffa(0.0, 90.0, 4001) is not plan
    frequencies = plan.frequencies().copy()
    for array in (plan.f0, plan.step, plan.n_bins, plan.log2_rows, plan.n_trials,
                  plan.trial_offset, plan.widths, plan.width_offset):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[0]
    assert np.array_equal(plan.frequencies(), frequencies)


def _groups_in_python(t_span: float, n_points: int, period_min: float, period_max: float,
                      oversample: float, max_duration: float) -> dict[str, list]:
    """The layout of `plan_ffa` written as a plain Python loop over the groups (as it was
    before it was compiled), from the same durations."""
    f, f_max = 1.0 / period_max, 1.0 / period_min
    out: dict[str, list] = {k: [] for k in ("f0", "step", "n_bins", "log2_rows", "n_trials",
                                             "widths", "width_counts")}
    while f <= f_max:
        period = 1.0 / f
        low, high = duration_range(period, max_duration)
        reference = min(float(sun_like_duration(period)), 2.0 * low)
        n_bins = max(4, int(round(oversample * period / reference)))
        bin_width = period / n_bins
        w_low = max(1, int(round(low / bin_width)))
        w_high = max(w_low, int(round(high / bin_width)))
        widths = range(w_low, min(w_high, n_bins - 1) + 1)
        log2_rows = min(max(round(math.log2(max(n_points, 1) / n_bins)), 2), 12)
        rows = 1 << log2_rows
        step = 1.0 / ((rows - 1) * n_bins * (t_span / rows))
        for key, value in (("f0", f), ("step", step), ("n_bins", n_bins),
                           ("log2_rows", log2_rows),
                           ("n_trials", min(rows, math.floor((f_max - f) / step) + 1)),
                           ("width_counts", len(widths))):
            out[key].append(value)
        out["widths"].extend(widths)
        f += rows * step
    return out


def test_compiled_plan_is_the_python_loops_to_the_bit():
    """`plan_ffa` lays its groups out in compiled code; every number of every group is the
    one the same loop in Python (Python's rounding and integer arithmetic) gives, over
    random baselines, cadence counts, period ranges, oversampling and duration caps."""
    rng = np.random.default_rng(5)
    for _ in range(40):
        baseline = float(rng.uniform(3.0, 1600.0))
        n_points = int(rng.integers(60, 70_000))
        period_min = float(rng.uniform(0.5, 1.5))
        period_max = float(rng.uniform(2.0, max(2.5, baseline / 2)))
        oversample = float(rng.choice([2.0, 3.0, 5.0]))
        max_duration = float(rng.choice([DURATION_MAX_D, 0.25, 0.15]))
        plan = plan_ffa(0.0, baseline, n_points, period_min, period_max, oversample,
                        max_duration)
        expected = _groups_in_python(plan.baseline, n_points, period_min, period_max,
                                     oversample, max_duration)
        assert plan.f0.tolist() == expected["f0"]
        assert plan.step.tolist() == expected["step"]
        assert plan.n_bins.tolist() == expected["n_bins"]
        assert plan.log2_rows.tolist() == expected["log2_rows"]
        assert plan.n_trials.tolist() == expected["n_trials"]
        assert plan.widths.tolist() == expected["widths"]
        assert np.diff(plan.width_offset).tolist() == expected["width_counts"]
