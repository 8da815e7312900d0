"""Which QUALITY flags a setting rejects: lightkurve's definitions, per mission.

The flag tables are lightkurve's `KeplerQualityFlags` (the Kepler Archive Manual, table 2.3)
and `TessQualityFlags` (the TESS Science Data Products Description Document, table 28),
copied here because importing lightkurve takes seconds and every command, worker and Dask
worker reads files; `tests/lightcurve/test_quality.py` holds the copies equal to lightkurve's.
Kepler's named presets add "Rolling band in optimal aperture"; TESS's are lightkurve's as
they are.
"""

from __future__ import annotations

from functools import cache

#: Names accepted by `quality_bitmask`, besides a plain integer.
QUALITY_PRESETS = ("none", "default", "hard", "hardest")
DEFAULT_QUALITY = "default"

#: Bit -> meaning of the Kepler QUALITY flags (lightkurve's `KeplerQualityFlags.STRINGS`;
#: bit 512 is unused by Kepler).
QUALITY_FLAGS: dict[int, str] = {
    1: "Attitude tweak",
    2: "Safe mode",
    4: "Coarse point",
    8: "Earth point",
    16: "Zero crossing",
    32: "Desaturation event",
    64: "Argabrightening",
    128: "Cosmic ray in optimal aperture",
    256: "Manual exclude",
    1024: "Sudden sensitivity dropout",
    2048: "Impulsive outlier",
    4096: "Argabrightening on CCD",
    8192: "Cosmic ray in collateral data",
    16384: "Detector anomaly",
    32768: "No fine point",
    65536: "No data",
    131072: "Rolling band in optimal aperture",
    262144: "Rolling band in full mask",
    524288: "Possible thruster firing",
    1048576: "Thruster firing",
}
_BIT = {meaning: bit for bit, meaning in QUALITY_FLAGS.items()}
ROLLING_BAND_IN_APERTURE = _BIT["Rolling band in optimal aperture"]

#: Cadences that are definitely useless (lightkurve's DEFAULT_BITMASK).
_DEFAULT = (
    _BIT["Attitude tweak"] | _BIT["Safe mode"] | _BIT["Coarse point"] | _BIT["Earth point"]
    | _BIT["Desaturation event"] | _BIT["Manual exclude"] | _BIT["Detector anomaly"]
    | _BIT["No data"] | _BIT["Thruster firing"]
)
#: lightkurve's presets (`KeplerQualityFlags.OPTIONS`), before lcfeat adds rolling band.
LIGHTKURVE_PRESETS: dict[str, int] = {
    "none": 0,
    "default": _DEFAULT,
    "hard": _DEFAULT | _BIT["Sudden sensitivity dropout"] | _BIT["Cosmic ray in optimal aperture"]
    | _BIT["Cosmic ray in collateral data"] | _BIT["Possible thruster firing"],
    "hardest": 2096639,  # any flag set (lightkurve's HARDEST_BITMASK)
}


#: Bit -> meaning of the TESS QUALITY flags (lightkurve's `TessQualityFlags.STRINGS`).
TESS_QUALITY_FLAGS: dict[int, str] = {
    1: "Attitude tweak",
    2: "Safe mode",
    4: "Coarse point",
    8: "Earth point",
    16: "Argabrightening",
    32: "Desaturation event",
    64: "Cosmic ray in optimal aperture",
    128: "Manual exclude",
    256: "Discontinuity corrected",
    512: "Impulsive outlier",
    1024: "Cosmic ray in collateral data",
    2048: "Straylight",
    4096: "Straylight2",
    8192: "Planet Search Exclude",
    16384: "Bad Calibration Exclude",
    32768: "Insufficient Targets for Error Correction Exclude",
}
_TESS_BIT = {meaning: bit for bit, meaning in TESS_QUALITY_FLAGS.items()}
#: Cadences that are definitely useless (lightkurve's TessQualityFlags.DEFAULT_BITMASK).
_TESS_DEFAULT = (
    _TESS_BIT["Attitude tweak"] | _TESS_BIT["Safe mode"] | _TESS_BIT["Coarse point"]
    | _TESS_BIT["Earth point"] | _TESS_BIT["Argabrightening"] | _TESS_BIT["Desaturation event"]
    | _TESS_BIT["Manual exclude"] | _TESS_BIT["Impulsive outlier"]
    | _TESS_BIT["Bad Calibration Exclude"]
)
#: lightkurve's TESS presets (`TessQualityFlags.OPTIONS`), used as they are.
TESS_LIGHTKURVE_PRESETS: dict[str, int] = {
    "none": 0,
    "default": _TESS_DEFAULT,
    "hard": _TESS_DEFAULT | _TESS_BIT["Cosmic ray in optimal aperture"]
    | _TESS_BIT["Cosmic ray in collateral data"] | _TESS_BIT["Straylight"]
    | _TESS_BIT["Straylight2"],
    "hardest": 65535,  # any flag set (lightkurve's HARDEST_BITMASK)
}


@cache
def quality_bitmask(setting: str | int = DEFAULT_QUALITY, mission: str = "kepler") -> int:
    """The QUALITY bits to reject for a setting, for the files of `mission`.

    Kepler's named presets are lightkurve's, plus "Rolling band in optimal aperture":
    lightkurve's `default` does not include it although old documentation said so
    (FEATURES.md). TESS's are lightkurve's `TessQualityFlags` presets. An integer is taken as
    the exact bitmask, whatever the mission.
    """
    if isinstance(setting, int) or (isinstance(setting, str) and setting.isdigit()):
        value = int(setting)
        if value < 0:
            raise ValueError(f"quality bitmask must be >= 0, got {value}")
        return value
    if mission == "tess":
        if setting not in TESS_LIGHTKURVE_PRESETS:
            raise ValueError(
                f"unknown quality setting {setting!r}: use one of {', '.join(QUALITY_PRESETS)} "
                "or an integer bitmask")
        return TESS_LIGHTKURVE_PRESETS[setting]
    if mission != "kepler":
        raise ValueError(f"no quality flags for mission {mission!r}")
    try:
        preset = LIGHTKURVE_PRESETS[setting]
    except KeyError:
        raise ValueError(
            f"unknown quality setting {setting!r}: use one of {', '.join(QUALITY_PRESETS)} "
            "or an integer bitmask"
        ) from None
    if setting == "none":
        return 0
    return preset | ROLLING_BAND_IN_APERTURE
