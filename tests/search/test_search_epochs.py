"""Phases of a candidate's ephemeris (`lcfeat.search.epochs`)."""

from __future__ import annotations

import numpy as np

from lcfeat.search.epochs import fractional_part


def test_fractional_part_is_numpys_remainder_bit_for_bit():
    """Every phase the search folds with: negative and positive, whole numbers, values a
    hair below zero (whose phase rounds to 1.0 in both), signed zeros, inf and NaN."""
    rng = np.random.default_rng(3)
    x = np.concatenate((
        rng.uniform(-4000.0, 4000.0, 100_000),
        (rng.uniform(131.5, 1591.0, 10_000) - 140.37) / 3.372 + 0.5,
        np.arange(-5.0, 6.0),
        [-1e-20, -1e-300, -0.0, 0.0, 1 - 2**-53, -(1 - 2**-53), np.inf, -np.inf, np.nan],
    ))
    with np.errstate(invalid="ignore"):  # inf has no phase: NaN in both
        expected = x % 1.0
        got = fractional_part(x)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
