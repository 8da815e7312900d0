"""lcfeat's copies of the Kepler and TESS quality flags are lightkurve's, and reading a file
does not import lightkurve."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from lcfeat.lightcurve.quality import (
    LIGHTKURVE_PRESETS,
    QUALITY_FLAGS,
    QUALITY_PRESETS,
    ROLLING_BAND_IN_APERTURE,
    TESS_LIGHTKURVE_PRESETS,
    TESS_QUALITY_FLAGS,
    quality_bitmask,
)
from tests.conftest import WASP_126, quarter_files, sector_files


def _lightkurve_flags():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lightkurve.utils import KeplerQualityFlags
    return KeplerQualityFlags


def test_flag_table_is_lightkurves():
    flags = _lightkurve_flags()
    assert QUALITY_FLAGS == flags.STRINGS
    assert LIGHTKURVE_PRESETS == flags.OPTIONS
    assert flags.RollingBandInAperture == ROLLING_BAND_IN_APERTURE
    # every named bit of the class is in the table under its documented meaning
    named = {value for name, value in vars(flags).items()
             if name[0].isupper() and isinstance(value, int) and not name.endswith("BITMASK")}
    assert named == set(QUALITY_FLAGS)


@pytest.mark.parametrize("preset", QUALITY_PRESETS)
def test_presets_are_lightkurves_plus_rolling_band(preset):
    flags = _lightkurve_flags()
    expected = 0 if preset == "none" else flags.OPTIONS[preset] | flags.RollingBandInAperture
    assert quality_bitmask(preset) == expected
    # lightkurve's own decoding of the mask names only flags the table knows
    assert set(flags.decode(expected)) <= set(QUALITY_FLAGS.values())


def _lightkurve_tess_flags():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lightkurve.utils import TessQualityFlags
    return TessQualityFlags


def test_tess_flag_table_is_lightkurves():
    flags = _lightkurve_tess_flags()
    assert TESS_QUALITY_FLAGS == flags.STRINGS
    assert TESS_LIGHTKURVE_PRESETS == flags.OPTIONS
    named = {value for name, value in vars(flags).items()
             if name[0].isupper() and isinstance(value, int) and not name.endswith("BITMASK")}
    assert named == set(TESS_QUALITY_FLAGS)


@pytest.mark.parametrize("preset", QUALITY_PRESETS)
def test_tess_presets_are_lightkurves_as_they_are(preset):
    flags = _lightkurve_tess_flags()
    assert quality_bitmask(preset, "tess") == flags.OPTIONS[preset]
    assert set(flags.decode(quality_bitmask(preset, "tess"))) <= set(TESS_QUALITY_FLAGS.values())


def test_an_integer_bitmask_is_taken_as_it_is_for_both_missions():
    assert quality_bitmask(42, "tess") == quality_bitmask("42", "kepler") == 42
    with pytest.raises(ValueError, match="unknown quality setting"):
        quality_bitmask("strict", "tess")


@pytest.mark.parametrize("path", [quarter_files(11904151)[0], sector_files(WASP_126)[0]],
                         ids=("kepler", "tess"))
def test_reading_a_file_does_not_import_lightkurve(path):
    code = (
        "import sys\n"
        "from lcfeat.lightcurve import read_light_curve\n"
        f"read_light_curve([{str(path)!r}], quality='hard')\n"
        "print('lightkurve' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
