"""Kepler long-cadence FITS files (`kplr*_llc.fits`) to one masked `Quarter` each.

`lightcurve.files` chooses this reader for a file whose header says Kepler, and stitches the
quarters into a `LightCurve`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

from lcfeat.errors import InvalidLightCurveFileError
from lcfeat.lightcurve.fitsfile import (
    column_names,
    data_release,
    file_mission,
    float_column,
    open_light_curve_file,
)
from lcfeat.lightcurve.model import Quarter
from lcfeat.lightcurve.quality import DEFAULT_QUALITY, quality_bitmask

#: Primary-header keywords kept with a quarter (the KIC stellar parameters among them).
HEADER_KEYS = ("TEFF", "LOGG", "RADIUS", "KEPMAG", "FEH", "DATA_REL", "OBJECT")


def read_quarter(path: str | Path, quality: str | int = DEFAULT_QUALITY) -> Quarter:
    """Read one Kepler `_llc.fits` file, apply the quality mask and drop non-finite cadences.

    Raises `InvalidLightCurveFileError` with a one-line reason for anything that is not a
    readable Kepler long-cadence light curve (not FITS, truncated, no LIGHTCURVE table, another
    mission, short cadence, no PDCSAP_FLUX).
    """
    path = Path(path)
    with open_light_curve_file(path) as hdul:
        return quarter_from_hdus(hdul, path, quality)


def quarter_from_hdus(hdul: fits.HDUList, path: Path,
                      quality: str | int = DEFAULT_QUALITY) -> Quarter:
    """`read_quarter` on a file already open."""
    bitmask = quality_bitmask(quality)
    primary = hdul[0].header
    mission = file_mission(primary)
    if mission.lower() != "kepler":
        raise InvalidLightCurveFileError(
            f"{path.name}: mission is {mission or 'unknown'!r}, not Kepler"
        )
    obsmode = str(primary.get("OBSMODE", "long cadence")).strip().lower()
    if obsmode != "long cadence":
        raise InvalidLightCurveFileError(
            f"{path.name}: observing mode is {obsmode!r}, lcfeat reads long cadence only"
        )
    if "LIGHTCURVE" not in hdul:
        raise InvalidLightCurveFileError(
            f"{path.name}: no LIGHTCURVE table (not a Kepler archive light curve; "
            "early-release or target pixel files are not read)"
        )
    data = hdul["LIGHTCURVE"].data
    if data is None:
        raise InvalidLightCurveFileError(f"{path.name}: LIGHTCURVE table is empty")
    columns = column_names(data)
    missing = [name for name in ("TIME", "PDCSAP_FLUX") if name.lower() not in columns]
    if missing:
        raise InvalidLightCurveFileError(
            f"{path.name}: LIGHTCURVE has no {', '.join(missing)} column "
            "(not a Kepler archive light curve)"
        )
    quarter_kw = primary.get("QUARTER")
    if quarter_kw is None:
        raise InvalidLightCurveFileError(f"{path.name}: header has no QUARTER keyword")
    try:
        kepler_id = int(primary.get("KEPLERID", -1))
        time = float_column(data, columns["time"])
        flux = float_column(data, columns["pdcsap_flux"])
        err_name = columns.get("pdcsap_flux_err")
        flux_err = float_column(data, err_name) if err_name else np.full_like(flux, np.nan)
        quality_name = columns.get("sap_quality") or columns.get("quality")
        quality_flags = (
            np.asarray(data[quality_name], dtype=np.int64)
            if quality_name
            else np.zeros(time.shape, dtype=np.int64)
        )
        col_name, row_name = columns.get("mom_centr1"), columns.get("mom_centr2")
        cadence_name = columns.get("cadenceno")
        cadenceno = np.asarray(data[cadence_name], dtype=np.int64) if cadence_name else None
        centroid_col = float_column(data, col_name) if col_name and row_name else None
        centroid_row = float_column(data, row_name) if col_name and row_name else None
        header = {key: primary.get(key) for key in HEADER_KEYS}
        quarter = int(quarter_kw)
    except Exception as exc:  # a damaged table or keyword: astropy raises many kinds
        raise InvalidLightCurveFileError(
            f"{path.name}: unreadable FITS file ({type(exc).__name__}: {exc})"
        ) from exc

    keep = (quality_flags & bitmask) == 0
    keep &= np.isfinite(time) & np.isfinite(flux)
    return Quarter(
        quarter=quarter,
        kepler_id=kepler_id,
        time=time[keep],
        flux=flux[keep],
        flux_err=flux_err[keep],
        centroid_col=centroid_col[keep] if centroid_col is not None else None,
        centroid_row=centroid_row[keep] if centroid_row is not None else None,
        header=header,
        n_rows=int(time.shape[0]),
        cadenceno=cadenceno[keep] if cadenceno is not None else None,
        all_cadenceno=cadenceno,
        all_time=time,
        data_release=data_release(header),
        name=path.name,
    )
