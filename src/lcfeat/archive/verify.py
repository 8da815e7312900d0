"""Is this file an intact light curve of the expected star and mission?

The checks, cheapest first: the size (when the server announced one), the HDU structure and
the raw-byte CHECKSUM of each HDU (see `checksum`), then astropy reads the bytes from memory
(never a memory map: a damaged file read through mmap can kill the process with a bus error)
and the headers must say Kepler, long cadence, the right KEPLERID and a QUARTER (TESS: TESS,
the right TICID and a SECTOR), with a LIGHTCURVE binary table that has a TIME column.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from astropy.io import fits

from lcfeat.archive.checksum import FitsStructureError, checksum_problems, hdu_spans
from lcfeat.archive.tess_layout import product_of


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on one file; ``reason`` says what is wrong ("ok" when nothing is)."""

    ok: bool
    reason: str
    #: The KEPLERID (TESS: TICID) of the file.
    kepler_id: int | None = None
    #: The QUARTER (TESS: SECTOR) of the file.
    quarter: int | None = None
    size: int = 0

    def __bool__(self) -> bool:
        return self.ok


def _fail(reason: str, size: int, kepler_id: int | None = None) -> VerifyResult:
    return VerifyResult(False, reason, kepler_id=kepler_id, size=size)


def _header_int(header: fits.Header, keyword: str) -> int | None:
    value = header.get(keyword)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def verify_bytes(raw: bytes, expected_kepler_id: int | None = None,
                 expected_size: int | None = None, mission: str = "kepler",
                 name: str = "") -> VerifyResult:
    """Verify the bytes of a whole light-curve file of `mission` (see the module docstring);
    `expected_kepler_id` is a TIC id for TESS, and the file's `name` names its product in a
    TESS verdict."""
    size = len(raw)
    if expected_size is not None and size != expected_size:
        return _fail(f"size is {size} bytes, expected {expected_size} (incomplete copy)", size)
    try:
        spans = hdu_spans(raw)
        problems = checksum_problems(raw, spans)
    except FitsStructureError as error:
        return _fail(f"damaged FITS structure: {error}", size)
    if problems:
        return _fail("; ".join(problems), size)
    try:
        with warnings.catch_warnings():
            # Problems are reported through the result, not as warnings on the console.
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(raw), memmap=False, lazy_load_hdus=False) as hdul:
                if mission == "tess":
                    return _check_tess_headers(hdul, expected_kepler_id, size, name)
                return _check_headers(hdul, expected_kepler_id, size)
    except (OSError, ValueError, TypeError, KeyError, IndexError) as error:
        return _fail(f"unreadable FITS: {type(error).__name__}: {error}", size)


def _check_headers(hdul: fits.HDUList, expected_kepler_id: int | None,
                   size: int) -> VerifyResult:
    primary = hdul[0].header
    telescope = str(primary.get("TELESCOP", "")).strip()
    if telescope != "Kepler":
        return _fail(f"not a Kepler file (TELESCOP = {telescope or 'missing'!r})", size)
    mission = str(primary.get("MISSION", "Kepler")).strip()
    if mission != "Kepler":
        return _fail(f"not a Kepler-mission file (MISSION = {mission!r})", size)
    obsmode = str(primary.get("OBSMODE", "long cadence")).strip()
    if obsmode != "long cadence":
        return _fail(f"not a long-cadence file (OBSMODE = {obsmode!r})", size)
    kepler_id = _header_int(primary, "KEPLERID")
    if kepler_id is None:
        return _fail("no integer KEPLERID keyword in the primary header", size)
    if expected_kepler_id is not None and kepler_id != expected_kepler_id:
        return _fail(f"KEPLERID is {kepler_id}, expected {expected_kepler_id}", size, kepler_id)
    quarter = _header_int(primary, "QUARTER")
    if quarter is None:
        return _fail("no integer QUARTER keyword (pre-2011 file format?)", size, kepler_id)
    return _check_table(hdul, kepler_id, quarter, size)


def _column_names(table: fits.BinTableHDU) -> set[str]:
    """A binary table's column names, read from its header: the raw-byte checks already
    proved that the table's bytes are complete and intact, and building the table would
    cost 4 ms."""
    header = table.header
    return {str(header.get(f"TTYPE{i}", "")).strip() for i in range(1, header["TFIELDS"] + 1)}


def _check_table(hdul: fits.HDUList, kepler_id: int, quarter: int, size: int) -> VerifyResult:
    if "LIGHTCURVE" not in hdul:
        return _fail("no LIGHTCURVE table", size, kepler_id)
    table_hdu = hdul["LIGHTCURVE"]
    if not isinstance(table_hdu, fits.BinTableHDU):
        return _fail("LIGHTCURVE is not a binary table", size, kepler_id)
    if "TIME" not in _column_names(table_hdu):
        return _fail("LIGHTCURVE table has no TIME column", size, kepler_id)
    return VerifyResult(True, "ok", kepler_id=kepler_id, quarter=quarter, size=size)


def _check_tess_headers(hdul: fits.HDUList, expected_tic_id: int | None,
                        size: int, name: str) -> VerifyResult:
    primary = hdul[0].header
    telescope = str(primary.get("TELESCOP", "")).strip()
    if telescope != "TESS":
        return _fail(f"not a TESS file (TELESCOP = {telescope or 'missing'!r})", size)
    table = next((hdu for hdu in hdul if hdu.name == "LIGHTCURVE"), None)
    columns = _column_names(table) if isinstance(table, fits.BinTableHDU) else set()
    if "PDCSAP_FLUX" not in columns:
        product = product_of(name, str(primary.get("ORIGIN", "")).strip())
        return _fail(f"{product} without a PDCSAP_FLUX column: lcfeat reads SPOC light curves "
                     "(2-minute tess*_lc.fits, TESS-SPOC FFI hlsp_tess-spoc_*_lc.fits)", size)
    tic_id = _header_int(primary, "TICID")
    if tic_id is None:
        return _fail("no integer TICID keyword in the primary header", size)
    if expected_tic_id is not None and tic_id != expected_tic_id:
        return _fail(f"TICID is {tic_id}, expected {expected_tic_id}", size, tic_id)
    sector = _header_int(primary, "SECTOR")
    if sector is None:
        return _fail("no integer SECTOR keyword", size, tic_id)
    return _check_table(hdul, tic_id, sector, size)


def verify_file(path: str | Path, expected_kepler_id: int | None = None,
                expected_size: int | None = None, mission: str = "kepler") -> VerifyResult:
    """Verify a file on disk; it is read whole into memory, never memory-mapped."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        return _fail(f"cannot read: {error.strerror or error}", 0)
    return verify_bytes(raw, expected_kepler_id, expected_size, mission, Path(path).name)
