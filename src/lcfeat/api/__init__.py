"""lcfeat in Python: what `import lcfeat` offers a notebook.

    import lcfeat, lightkurve as lk
    row = lcfeat.extract_features(lk.read("kplr011904151-2012179063303_llc.fits"))
    row.to_series()                                   # the 63 features + extras, pandas
    table = lcfeat.extract_table("3342467,11904151", archive="data/archive")
    stored = lcfeat.read_features("sqlite:///lcfeat.db")
    found = lcfeat.search_transits(time, flux)        # candidate + periodogram
    lcfeat.plot_sheet(11904151, "kepler10.png", archive="data/archive")

Each function is the library call behind a command: `extract_features` is `lcfeat extract`,
`extract_table` the worker pool of `lcfeat run` without a database, `read_features` the
table `lcfeat export` writes, `plot_sheet` is `lcfeat plot`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lcfeat.features.extract import FeatureRow
from lcfeat.lightcurve.model import LightCurve
from lcfeat.lightcurve.quality import DEFAULT_QUALITY
from lcfeat.lightcurve.sources import light_curve_from
from lcfeat.pipeline.table import extract_table
from lcfeat.search.transits import NotSearchableError, TransitSearch, search_transits
from lcfeat.store.frame import read_features

__all__ = [
    "FeatureRow",
    "LightCurve",
    "NotSearchableError",
    "TransitSearch",
    "extract_features",
    "extract_table",
    "light_curve",
    "plot_sheet",
    "read_features",
    "search_transits",
]


def light_curve(source: Any, *arrays: Any, quality: str | int = DEFAULT_QUALITY,
                kepler_id: int | None = None) -> LightCurve:
    """The lcfeat `LightCurve` of a source, as the features see it: Kepler file paths (or a
    folder of one star's files), a lightkurve `LightCurve` or `LightCurveCollection`, or
    arrays `time, flux[, flux_err]` (BKJD days; one piece, divided by its median).
    lcfeat's quality mask (`quality`: default, hard, hardest, none or a bitmask) is applied
    to files and to lightkurve's quality column. `kepler_id` names a light curve made from
    arrays (its target id in a table)."""
    return light_curve_from(source, *arrays, quality=quality, kepler_id=kepler_id)


def extract_features(source: Any, *arrays: Any, quality: str | int = DEFAULT_QUALITY,
                     kepler_id: int | None = None) -> FeatureRow:
    """The 63 features of one star, as `lcfeat extract` computes them.

    `source` is what `light_curve` takes: a path or list of quarter files, a lightkurve
    `LightCurve` / `LightCurveCollection`, an lcfeat `LightCurve`, or arrays given as
    `extract_features(time, flux[, flux_err])`. Returns the `FeatureRow`: `to_dict()` (the
    63 features in table order, then the extras; None where NULL, with the reason in
    `null_reasons`) and `to_series()` (pandas, units in `attrs`).
    """
    from lcfeat.features.extract import extract_features as extract

    return extract(light_curve_from(source, *arrays, quality=quality, kepler_id=kepler_id))


def plot_sheet(source: Any, path: str | Path | None = None, *, db: str | None = None,
               archive: str | None = None, cache: str | Path | None = None,
               quality: str | int = DEFAULT_QUALITY, catalog: Any = "default") -> Any:
    """The vetting sheet of one star (a matplotlib Figure), written as a PNG to `path` if
    given: the light curve with the candidate's transits, the detrended flux, the transit
    periodogram, the fold on the candidate, odd and even transits, phase 0.5, the
    Lomb-Scargle periodogram and the numbers.

    `source` is a KIC id (fetched from `archive`, MAST by default) or what `light_curve`
    takes. With `db`, the numbers and the ephemeris are the star's stored row; otherwise the
    features are extracted now. `catalog` names the star when it is a KOI: "default" (the
    downloaded catalog, else the bundled snapshot), a catalog folder, or None.
    """
    from lcfeat.study.sheet import save_sheet, sheet_for

    figure = sheet_for(source, db=db, archive=archive, cache=cache, quality=quality,
                       catalog=_catalog(catalog))
    if path is not None:
        save_sheet(figure, path)
    return figure


def _catalog(choice: Any) -> Any:
    if choice is None or not isinstance(choice, str | Path):
        return choice
    from lcfeat.targets.catalog import load_catalog

    return load_catalog(None if choice == "default" else choice)
