"""Which SAP_QUALITY flags a setting rejects: lightkurve's definitions plus rolling band."""

from __future__ import annotations

import warnings
from functools import cache

#: Names accepted by `quality_bitmask`, besides a plain integer.
QUALITY_PRESETS = ("none", "default", "hard", "hardest")
DEFAULT_QUALITY = "default"


@cache
def quality_bitmask(setting: str | int = DEFAULT_QUALITY) -> int:
    """The SAP_QUALITY bits to reject for a setting, from lightkurve's flag definitions.

    Named presets are lightkurve's, plus "Rolling band in optimal aperture": lightkurve's
    `default` does not include it although old documentation said so (FEATURES.md).
    An integer is taken as the exact bitmask.
    """
    if isinstance(setting, int) or (isinstance(setting, str) and setting.isdigit()):
        value = int(setting)
        if value < 0:
            raise ValueError(f"quality bitmask must be >= 0, got {value}")
        return value
    with warnings.catch_warnings():  # lightkurve warns about optional submodules on import
        warnings.simplefilter("ignore")
        from lightkurve.utils import KeplerQualityFlags  # slow import: only when reading files

    try:
        preset = KeplerQualityFlags.OPTIONS[setting]
    except KeyError:
        raise ValueError(
            f"unknown quality setting {setting!r}: use one of {', '.join(QUALITY_PRESETS)} "
            "or an integer bitmask"
        ) from None
    if setting == "none":
        return 0
    return preset | KeplerQualityFlags.RollingBandInAperture


