"""MacKinnon's (1994) approximate p-value of an augmented Dickey-Fuller statistic, for the one
case lcfeat uses (a constant in the regression, one series).

The coefficients and the formula are statsmodels' `statsmodels.tsa.adfvalues.mackinnonp`
(BSD-3), copied because importing statsmodels loads pandas, half a second of every
`lcfeat extract` and worker; `tests/features/test_mackinnon.py` holds the copy equal to
statsmodels bit for bit.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

#: Above this statistic the p-value is 1, below TAU_MIN it is 0 (regression "c", N = 1).
TAU_MAX = 2.74
TAU_MIN = -18.83
#: Statistics up to TAU_STAR use the small-p polynomial, larger ones the large-p one.
TAU_STAR = -1.61
#: Polynomial coefficients in increasing powers, with statsmodels' scalings applied.
SMALL_P = np.asarray([2.1659, 1.4412, 3.8269]) * np.array([1, 1, 1e-2])
LARGE_P = np.asarray([1.7339, 9.3202, -1.2745, -1.0368]) * np.array([1, 1e-1, 1e-1, 1e-2])


def mackinnonp(teststat: float, regression: str = "c", N: int = 1) -> float:
    """p-value of the ADF statistic `teststat` (regression with a constant, one series)."""
    if regression != "c" or N != 1:
        raise ValueError("only regression='c' with N=1 is implemented")
    if teststat > TAU_MAX:
        return 1.0
    if teststat < TAU_MIN:
        return 0.0
    coefficients = SMALL_P if teststat <= TAU_STAR else LARGE_P
    return float(ndtr(np.polyval(coefficients[::-1], teststat)))
