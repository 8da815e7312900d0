"""TESS SPOC light curves to one masked `Quarter` per sector.

lcfeat reads the light curves of NASA's Science Processing Operations Center: the 2-minute
ones (`tess<stamp>-sNNNN-<TIC>-<scid>-s_lc.fits`, also released early as the data-alerts HLSP
`hlsp_tess-data-alerts_*_lc.fits`) and the TESS-SPOC HLSP of full-frame-image targets
(`hlsp_tess-spoc_*_lc.fits`, 10- or 30-minute cadence). All share one format: a LIGHTCURVE
table with TIME (BTJD = BJD - 2457000), PDCSAP_FLUX, QUALITY and MOM_CENTR1/2, and TICID and
SECTOR in the primary header. Other TESS products (TASOC, eleanor, QLP light curves) have no
PDCSAP flux and are refused with an error naming the product. The quality mask is
lightkurve's `TessQualityFlags` preset; rows without a finite TIME or flux are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from astropy.io import fits

from lcfeat.errors import InvalidLightCurveFileError
from lcfeat.lightcurve.fitsfile import (
    column_names,
    data_release,
    float_column,
    open_light_curve_file,
)
from lcfeat.lightcurve.model import Quarter
from lcfeat.lightcurve.quality import DEFAULT_QUALITY, quality_bitmask

#: Primary-header keywords kept with a sector (the TIC stellar parameters among them).
HEADER_KEYS = ("TEFF", "LOGG", "RADIUS", "TESSMAG", "MH", "DATA_REL", "OBJECT")
#: Cadences shorter than this (days) are the 20-second "fast" light curves, not read: the
#: 2-minute light curve of the same sector holds the same photons.
MIN_CADENCE_D = 60.0 / 86400.0
#: What each SPOC file name is, for messages.
PRODUCTS = (
    (re.compile(r"tess\d{13}-s\d{4}-\d{16}-\d{4}-[a-z]_lc\.fits(\.gz)?"),
     "SPOC 2-minute light curve"),
    (re.compile(r"hlsp_tess-spoc_tess_phot_\d{16}-s\d{4}_tess_v\d+_lc\.fits(\.gz)?"),
     "TESS-SPOC FFI light curve"),
    (re.compile(r"hlsp_tess-data-alerts_tess_phot_\d{11}-s\d{2}_tess_v\d+_lc\.fits(\.gz)?"),
     "SPOC 2-minute light curve (data-alerts release)"),
)
_HLSP = re.compile(r"hlsp_([a-z0-9-]+)_", re.IGNORECASE)


def product_name(path: Path, primary: fits.Header) -> str:
    """What a TESS file is, from its name (MAST's conventions) or else its ORIGIN keyword:
    'SPOC 2-minute light curve', 'TASOC HLSP', 'GSFC-ELEANOR-LITE HLSP' ..."""
    for pattern, name in PRODUCTS:
        if pattern.fullmatch(path.name):
            return name
    hlsp = _HLSP.match(path.name)
    if hlsp:
        return f"{hlsp.group(1).upper()} HLSP"
    origin = str(primary.get("ORIGIN", "")).strip()
    return f"TESS light curve from {origin}" if origin else "TESS light curve"


def read_sector(path: str | Path, quality: str | int = DEFAULT_QUALITY) -> Quarter:
    """Read one TESS SPOC light-curve file, apply the quality mask and drop rows without a
    finite TIME or PDCSAP flux.

    Raises `InvalidLightCurveFileError` with a one-line reason for anything else: not a TESS
    file, a product without PDCSAP_FLUX (named), no SECTOR, a 20-second light curve.
    """
    path = Path(path)
    with open_light_curve_file(path) as hdul:
        return sector_from_hdus(hdul, path, quality)


def _tic_id(primary: fits.Header) -> int:
    value = primary.get("TICID")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = re.fullmatch(r"\s*TIC\s*(\d+)\s*", str(primary.get("OBJECT", "")))
    return int(match.group(1)) if match else -1


def sector_from_hdus(hdul: fits.HDUList, path: Path,
                     quality: str | int = DEFAULT_QUALITY) -> Quarter:
    """`read_sector` on a file already open."""
    bitmask = quality_bitmask(quality, "tess")
    primary = hdul[0].header
    telescope = str(primary.get("TELESCOP", "")).strip()
    if telescope != "TESS":
        raise InvalidLightCurveFileError(
            f"{path.name}: mission is {telescope or 'unknown'!r}, not TESS")
    product = product_name(path, primary)
    table = next((hdu for hdu in hdul if hdu.name == "LIGHTCURVE"), None)
    data = table.data if isinstance(table, fits.BinTableHDU) else None
    columns = column_names(data) if data is not None else {}
    if "pdcsap_flux" not in columns:
        raise InvalidLightCurveFileError(
            f"{path.name}: {product} has no PDCSAP_FLUX column; lcfeat reads TESS SPOC "
            "light curves (2-minute tess*_lc.fits, TESS-SPOC FFI hlsp_tess-spoc_*_lc.fits)")
    if "time" not in columns:
        raise InvalidLightCurveFileError(f"{path.name}: LIGHTCURVE has no TIME column")
    sector_kw = primary.get("SECTOR")
    if sector_kw is None:
        raise InvalidLightCurveFileError(f"{path.name}: header has no SECTOR keyword")
    cadence = table.header.get("TIMEDEL") if table is not None else None
    cadence = float(cadence) if isinstance(cadence, int | float) and cadence > 0 else None
    if cadence is not None and cadence < MIN_CADENCE_D:
        raise InvalidLightCurveFileError(
            f"{path.name}: {cadence * 86400:.0f}-second cadence; lcfeat reads the 2-minute "
            "and full-frame-image light curves")
    time = float_column(data, columns["time"])
    flux = float_column(data, columns["pdcsap_flux"])
    err_name = columns.get("pdcsap_flux_err")
    flux_err = float_column(data, err_name) if err_name else np.full_like(flux, np.nan)
    quality_name = columns.get("quality")
    quality_flags = (np.asarray(data[quality_name], dtype=np.int64) if quality_name
                     else np.zeros(time.shape, dtype=np.int64))
    col_name, row_name = columns.get("mom_centr1"), columns.get("mom_centr2")
    centroid_col = float_column(data, col_name) if col_name and row_name else None
    centroid_row = float_column(data, row_name) if col_name and row_name else None
    cadence_name = columns.get("cadenceno")
    cadenceno = np.asarray(data[cadence_name], dtype=np.int64) if cadence_name else None

    keep = (quality_flags & bitmask) == 0
    keep &= np.isfinite(time) & np.isfinite(flux)
    return Quarter(
        quarter=int(sector_kw),
        kepler_id=_tic_id(primary),
        time=time[keep],
        flux=flux[keep],
        flux_err=flux_err[keep],
        centroid_col=centroid_col[keep] if centroid_col is not None else None,
        centroid_row=centroid_row[keep] if centroid_row is not None else None,
        header={**{key: primary.get(key) for key in HEADER_KEYS}, "PRODUCT": product},
        n_rows=int(time.shape[0]),
        mission="tess",
        cadence=cadence,
        cadenceno=cadenceno[keep] if cadenceno is not None else None,
        all_cadenceno=cadenceno,
        all_time=time,
        data_release=data_release(primary),
        name=path.name,
    )
