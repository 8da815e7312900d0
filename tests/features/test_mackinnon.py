"""lcfeat's MacKinnon p-value is statsmodels', bit for bit, without importing statsmodels."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from statsmodels.tsa.adfvalues import mackinnonp as statsmodels_mackinnonp

from lcfeat.features.mackinnon import TAU_MAX, TAU_MIN, TAU_STAR, mackinnonp
from tests.conftest import REPO


def test_equals_statsmodels_bit_for_bit():
    rng = np.random.default_rng(3)
    statistics = np.concatenate([
        np.linspace(-25.0, 5.0, 3001), rng.uniform(-20.0, 3.0, 2000),
        [TAU_MIN, TAU_MAX, TAU_STAR, np.nextafter(TAU_STAR, 0), np.nextafter(TAU_MIN, -30),
         np.nextafter(TAU_MAX, 5), 0.0, -1.0],
    ])
    ours = np.array([mackinnonp(float(t)) for t in statistics])
    theirs = np.array([statsmodels_mackinnonp(float(t), regression="c", N=1)
                       for t in statistics])
    np.testing.assert_array_equal(ours, theirs)


def test_other_regressions_are_refused():
    with pytest.raises(ValueError, match="only regression='c'"):
        mackinnonp(-2.0, regression="ct")


def test_extracting_features_does_not_import_statsmodels():
    code = (
        "import sys\n"
        "from lcfeat.features.extract import extract_features\n"
        "from lcfeat.lightcurve import read_light_curve\n"
        "from tests.conftest import quarter_files\n"
        "row = extract_features(read_light_curve(quarter_files(11904151)))\n"
        "assert row.values['temp_stationarity_pvalue'] is not None\n"
        "print(sorted(m for m in ('statsmodels', 'pandas', 'lightkurve') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    assert out.strip() == "[]"
