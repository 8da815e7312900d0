"""A star's light curve: the `LightCurve` type (`model`), reading Kepler files into it
(`kepler`), the quality mask (`quality`), and the tools every later stage applies to it
(`robust`: robust scatter, segments at gaps, biweight trend)."""

from lcfeat.lightcurve.kepler import read_light_curve, read_quarter, stitch
from lcfeat.lightcurve.model import LightCurve, Quarter
from lcfeat.lightcurve.quality import DEFAULT_QUALITY, QUALITY_PRESETS, quality_bitmask

__all__ = [
    "DEFAULT_QUALITY",
    "QUALITY_PRESETS",
    "LightCurve",
    "Quarter",
    "quality_bitmask",
    "read_light_curve",
    "read_quarter",
    "stitch",
]
