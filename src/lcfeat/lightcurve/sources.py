"""A light curve from whatever a user holds: Kepler (or TESS SPOC) files, a lightkurve
`LightCurve` or `LightCurveCollection`, or plain arrays. Everything becomes the same
`LightCurve` that `read_light_curve` makes from files: lcfeat's quality mask, each quarter
(sector) divided by its median, quarters stitched in time order.

lightkurve objects are recognised by their attributes (`time`, `flux`, `meta`), so lightkurve
is never imported here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lcfeat.errors import InvalidLightCurveFileError, NoUsableDataError
from lcfeat.lightcurve.files import read_light_curve, stitch
from lcfeat.lightcurve.kepler import HEADER_KEYS
from lcfeat.lightcurve.model import LightCurve, Quarter
from lcfeat.lightcurve.quality import DEFAULT_QUALITY, quality_bitmask
from lcfeat.lightcurve.tess import HEADER_KEYS as TESS_HEADER_KEYS

#: Barycentric Kepler Julian Date = BJD - 2454833 (the TIME column of Kepler files).
BKJD_OFFSET = 2454833.0
#: Barycentric TESS Julian Date = BJD - 2457000 (the TIME column of TESS files).
BTJD_OFFSET = 2457000.0
#: Light-curve files of a folder: Kepler's, then TESS SPOC's.
FOLDER_PATTERNS = ("kplr*_llc.fits", "tess*_lc.fits", "hlsp_tess-spoc_*_lc.fits",
                   "hlsp_tess-data-alerts_*_lc.fits")
#: First long cadence of each Kepler quarter in the archive files (BKJD, rounded down; the
#: files of different stars differ by minutes), and the last cadence of the mission.
QUARTER_STARTS_BKJD = {
    0: 120.5, 1: 131.5, 2: 169.5, 3: 260.2, 4: 352.35, 5: 443.45, 6: 539.4, 7: 630.15,
    8: 735.35, 9: 808.5, 10: 906.8, 11: 1001.2, 12: 1099.4, 13: 1182.7, 14: 1274.1,
    15: 1373.45, 16: 1472.05, 17: 1559.2,
}
MISSION_END_BKJD = 1591.1
#: Why the centroid domain is NULL for a light curve given as arrays.
NO_CENTROIDS = "no centroids given (a light curve from arrays time, flux[, flux_err])"

PathLike = str | os.PathLike[str]


def _is_path(value: object) -> bool:
    return isinstance(value, str | os.PathLike)


def _is_lightkurve(value: object) -> bool:
    return all(hasattr(value, name) for name in ("time", "flux", "meta"))


def _is_iterable(value: object) -> bool:
    """True for what `iter` accepts (a LightCurveCollection iterates by index only)."""
    try:
        iter(value)  # type: ignore[call-overload]
    except TypeError:
        return False
    return True


def _lightkurve_items(value: object) -> list[Any] | None:
    """The light curves of a lightkurve `LightCurveCollection` (or a list of LightCurves)."""
    if (_is_lightkurve(value) or _is_path(value) or not _is_iterable(value)
            or isinstance(value, np.ndarray)):
        return None
    items = list(value)  # type: ignore[call-overload]
    return items if items and all(_is_lightkurve(item) for item in items) else None


def light_curve_files(source: PathLike | Iterable[PathLike]) -> list[Path]:
    """The quarter files a path names: the file itself, every `kplr*_llc.fits` (or TESS SPOC
    light curve) of a folder (one target's, as in a mirror), or each path of a list."""
    paths = [Path(source)] if _is_path(source) else [Path(p) for p in source]
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted({f for pattern in FOLDER_PATTERNS for f in path.glob(pattern)})
            if not found:
                raise InvalidLightCurveFileError(
                    f"{path}: no kplr*_llc.fits or TESS SPOC light curves in the folder")
            files += found
        else:
            files.append(path)
    return files


def light_curve_from(source: Any, *arrays: Any, quality: str | int = DEFAULT_QUALITY,
                     kepler_id: int | None = None) -> LightCurve:
    """The `LightCurve` of `source`:

    - an lcfeat `LightCurve` (returned as it is);
    - a path or a list of paths of one target's `kplr*_llc.fits` files, or a folder of them;
    - a lightkurve `KeplerLightCurve` (one quarter, or stitched: taken as one piece) or
      `LightCurveCollection` (one entry per quarter), read with lightkurve's defaults
      (PDCSAP flux): lcfeat's quality mask is applied to its `quality` column, so the cadences
      kept are those lcfeat keeps reading the same files;
    - arrays `time` (BKJD, days), `flux` and optionally `flux_err`, given as
      `light_curve_from(time, flux[, flux_err])` or as one tuple: one continuous piece of
      light curve (non-finite cadences dropped, flux divided by its median as lcfeat does
      to each quarter; raw PDCSAP flux of one quarter gives exactly the file's values).

    `kepler_id` names the target when the source does not (arrays), or checks it.
    """
    if isinstance(source, tuple) and not arrays:
        source, *rest = source
        arrays = tuple(rest)
    if (not arrays and not _is_path(source) and not _is_lightkurve(source)
            and not isinstance(source, np.ndarray | bytes | LightCurve)
            and _is_iterable(source)):
        source = list(source)  # a generator is read once
    if arrays:
        return _from_arrays(source, *arrays, kepler_id=kepler_id)
    if isinstance(source, LightCurve):
        return source
    if _is_lightkurve(source):
        return stitch([_quarter_from_lightkurve(source, quality)], kepler_id=kepler_id)
    collection = _lightkurve_items(source)
    if collection is not None:
        return stitch([_quarter_from_lightkurve(lc, quality) for lc in collection],
                      kepler_id=kepler_id)
    if _is_path(source) or (isinstance(source, Sequence) and source
                            and all(_is_path(p) for p in source)):
        return read_light_curve(light_curve_files(source), quality=quality, kepler_id=kepler_id)
    if isinstance(source, np.ndarray | list):
        raise TypeError("arrays need both time and flux: light_curve_from(time, flux[, "
                        "flux_err])")
    raise TypeError(
        f"cannot make a light curve from {type(source).__name__}: give Kepler file paths, a "
        "lightkurve LightCurve or LightCurveCollection, or arrays time, flux[, flux_err]"
    )


def _float_values(column: Any) -> np.ndarray:
    """A float64 copy of a column, a Quantity or a masked array; masked values NaN."""
    mask = getattr(column, "mask", None)
    values = getattr(column, "unmasked", column)
    values = np.array(getattr(values, "value", values), dtype=np.float64)
    if mask is not None and np.ndim(mask):
        values[np.asarray(mask, dtype=bool)] = np.nan
    return values


def _bkjd(time: Any, offset: float = BKJD_OFFSET, name: str = "bkjd") -> np.ndarray:
    """Times in BKJD (BTJD, with that `offset` and format `name`) from an astropy `Time` (or
    plain numbers, taken as such)."""
    if hasattr(time, "format") and hasattr(time, "jd"):
        if time.format == name:
            return _float_values(time.value)
        return _float_values(time.tdb.jd) - offset
    return _float_values(time)


def _quarter_from_lightkurve(lc: Any, quality: str | int) -> Quarter:
    """A lightkurve `KeplerLightCurve` as one quarter, or a `TessLightCurve` as one sector
    (PDCSAP flux, lightkurve's defaults), with lcfeat's quality mask applied to its `quality`
    column."""
    meta = dict(lc.meta)
    if str(meta.get("TELESCOP") or "").strip() == "TESS":
        return _from_lightkurve(
            lc, meta, quality_bitmask(quality, "tess"), _bkjd(lc.time, BTJD_OFFSET, "btjd"),
            number=meta.get("SECTOR"), target_id=meta.get("TICID") or meta.get("TARGETID"),
            header_keys=TESS_HEADER_KEYS, mission="tess")
    mission = str(meta.get("MISSION") or meta.get("TELESCOP") or "").strip()
    if mission.lower() != "kepler":
        raise InvalidLightCurveFileError(
            f"{meta.get('LABEL') or 'light curve'}: mission is {mission or 'unknown'!r}, "
            "not Kepler or TESS")
    return _from_lightkurve(
        lc, meta, quality_bitmask(quality), _bkjd(lc.time),
        number=meta.get("QUARTER"), target_id=meta.get("KEPLERID") or meta.get("TARGETID"),
        header_keys=HEADER_KEYS, mission="kepler")


def _from_lightkurve(lc: Any, meta: dict[str, Any], bitmask: int, time: np.ndarray, *,
                     number: Any, target_id: Any, header_keys: tuple[str, ...],
                     mission: str) -> Quarter:
    flux = _float_values(lc.flux)
    flux_err = (_float_values(lc.flux_err) if "flux_err" in lc.colnames
                else np.full_like(flux, np.nan))
    flags = (np.asarray(_float_values(lc["quality"]), dtype=np.int64)
             if "quality" in lc.colnames else np.zeros(time.shape, dtype=np.int64))
    keep = ((flags & bitmask) == 0) & np.isfinite(time) & np.isfinite(flux)
    has_centroids = "centroid_col" in lc.colnames and "centroid_row" in lc.colnames
    return Quarter(
        quarter=int(number or 0),
        kepler_id=int(target_id or -1),
        time=time[keep],
        flux=flux[keep],
        flux_err=flux_err[keep],
        centroid_col=_float_values(lc["centroid_col"])[keep] if has_centroids else None,
        centroid_row=_float_values(lc["centroid_row"])[keep] if has_centroids else None,
        header={key: meta.get(key) for key in header_keys},
        n_rows=int(time.shape[0]),
        mission=mission,
    )


def kepler_quarter(time: np.ndarray) -> np.ndarray:
    """The Kepler quarter of each time (BKJD), from the quarters' first cadences; -1 outside
    the mission (a time series that is not Kepler's keeps one piece)."""
    starts = np.array(list(QUARTER_STARTS_BKJD.values()))
    quarter = np.searchsorted(starts, time, side="right") - 1
    quarter[(time < starts[0]) | (time > MISSION_END_BKJD) | ~np.isfinite(time)] = -1
    return quarter.astype(np.int16)


def _from_arrays(time: Any, flux: Any, flux_err: Any = None, *,
                 kepler_id: int | None) -> LightCurve:
    time, flux = _float_values(time), _float_values(flux)
    flux_err = (np.full_like(flux, np.nan) if flux_err is None else _float_values(flux_err))
    if not time.shape == flux.shape == flux_err.shape or time.ndim != 1:
        raise ValueError(f"time, flux and flux_err must be 1-d arrays of one length, got "
                         f"shapes {time.shape}, {flux.shape} and {flux_err.shape}")
    keep = np.isfinite(time) & np.isfinite(flux)
    if not keep.any():
        raise NoUsableDataError(f"KIC {kepler_id or 0}: no cadence with finite time and flux")
    order = np.argsort(time[keep], kind="stable")
    time, flux, flux_err = time[keep][order], flux[keep][order], flux_err[keep][order]
    quarter = kepler_quarter(time)
    # Each Kepler quarter is normalised by its median, as when reading files.
    quarters = [
        Quarter(quarter=int(q), kepler_id=int(kepler_id or 0), time=time[quarter == q],
                flux=flux[quarter == q], flux_err=flux_err[quarter == q], centroid_col=None,
                centroid_row=None, header={}, n_rows=int(np.count_nonzero(quarter == q)))
        for q in np.unique(quarter)
    ]
    return stitch(quarters, kepler_id=int(kepler_id or 0), no_centroids=NO_CENTROIDS)
