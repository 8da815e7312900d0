"""Opening a light-curve FITS file, for the readers of both missions.

Reading never memory-maps: a corrupt file read through mmap can kill the process with a bus
error, whereas a plain read raises an exception that fails only its target. Whatever astropy
raises on a damaged file becomes one `InvalidLightCurveFileError` line naming the file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from astropy.io import fits

from lcfeat.errors import InvalidLightCurveFileError


@contextmanager
def open_light_curve_file(path: Path) -> Iterator[fits.HDUList]:
    """The file's HDUs, read whole; any failure is one clear `InvalidLightCurveFileError`."""
    try:
        # astropy's warnings about truncation or odd keywords become our one clear error
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(path, memmap=False, lazy_load_hdus=False) as hdul:
                yield hdul
    except InvalidLightCurveFileError:
        raise
    except FileNotFoundError:
        raise InvalidLightCurveFileError(f"{path}: no such file") from None
    except Exception as exc:  # astropy raises OSError, TypeError, ValueError, KeyError...
        raise InvalidLightCurveFileError(
            f"{path.name}: unreadable FITS file ({type(exc).__name__}: {exc})"
        ) from exc


def file_mission(primary: fits.Header) -> str:
    """The mission a file says it is from: MISSION (K2 files say K2 there), else TELESCOP."""
    return str(primary.get("MISSION", primary.get("TELESCOP", ""))).strip()


def column_names(data: fits.FITS_rec) -> dict[str, str]:
    """A table's column names by lower-case name."""
    return {name.lower(): name for name in data.columns.names}


def float_column(data: fits.FITS_rec, name: str) -> np.ndarray:
    return np.asarray(data[name], dtype=np.float64)


def data_release(header: fits.Header | dict[str, object]) -> int | None:
    """The file's DATA_REL keyword as a number (None when absent or not a number): when a
    mirror holds one quarter or sector from two data releases, the newest wins."""
    release = header.get("DATA_REL")
    if isinstance(release, int | float) and not isinstance(release, bool) \
            and np.isfinite(release):
        return int(release)
    return None
