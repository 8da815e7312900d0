"""A star's light curve: the `LightCurve` type (`model`), reading Kepler (`kepler`) and TESS
(`tess`) files into it, the mission told by each file's header (`files`), the quality masks
(`quality`), the tools every later stage applies to it (`robust`: robust scatter,
segments at gaps, biweight trend, cadences), and its flares (`flares`)."""

from lcfeat.lightcurve.files import read_file, read_light_curve, stitch
from lcfeat.lightcurve.kepler import read_quarter
from lcfeat.lightcurve.model import LightCurve, Quarter
from lcfeat.lightcurve.quality import DEFAULT_QUALITY, QUALITY_PRESETS, quality_bitmask
from lcfeat.lightcurve.tess import read_sector

__all__ = [
    "DEFAULT_QUALITY",
    "QUALITY_PRESETS",
    "LightCurve",
    "Quarter",
    "quality_bitmask",
    "read_file",
    "read_light_curve",
    "read_quarter",
    "read_sector",
    "stitch",
]
