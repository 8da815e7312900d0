"""Names and places of TESS SPOC light curves: MAST's trees, lcfeat's cache, lightkurve's.

MAST keeps TESS light curves by sector first, then by target: the TIC id is zero-padded to
sixteen digits and cut into four folders of four (`0000/0002/6113/6679` for TIC 261136679).

- SPOC 2-minute light curves: ``missions/tess/tid/sNNNN/<tic folders>/
  tess<stamp>-sNNNN-<TIC16>-<scid>-s_lc.fits`` (the stamp and the spacecraft configuration id
  vary by sector, so a name is read from the folder listing, never guessed);
- TESS-SPOC light curves of full-frame-image targets (an HLSP): ``hlsps/tess-spoc/sNNNN/
  target/<tic folders>/hlsp_tess-spoc_tess_phot_<TIC16>-sNNNN_tess_v1_lc.fits``.

Both trees hang below ``https://archive.stsci.edu/``: a mirror of that root holds both. Which
sectors a star has is not written anywhere in these trees except in the sector folders
themselves: finding them costs one small request per sector and product (404 where the star
was not observed), on a star's first fetch only (the cache's manifest remembers).

lcfeat's own cache (and the simplest local mirror) keeps every file of a star in its four
TIC folders, without the sector level: ``<root>/0000/0002/6113/6679/<any of the names>``.
lightkurve (astroquery) stores them as ``<cache>/mastDownload/TESS/<name without _lc.fits>/``
and ``<cache>/mastDownload/HLSP/hlsp_tess-spoc_tess_phot_<TIC16>-sNNNN_tess_v1_tp/``.
The early releases of the 2-minute light curves (the data-alerts HLSP,
``hlsp_tess-data-alerts_tess_phot_<TIC11>-sNN_tess_v1_lc.fits``) are recognised in local
folders too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lcfeat.targets.ids import check_tic

#: MAST's public root: both TESS trees hang below it.
MAST_URL = "https://archive.stsci.edu/"
#: The SPOC 2-minute tree and the TESS-SPOC FFI tree, relative to the root.
SPOC_TREE = "missions/tess/tid"
FFI_TREE = "hlsps/tess-spoc"
#: Products, best first for a sector that has several (the shortest cadence).
SPOC, ALERTS, FFI = "spoc", "data-alerts", "tess-spoc"

SPOC_NAME = re.compile(r"tess(?P<stamp>\d{13})-s(?P<sector>\d{4})-(?P<tic>\d{16})-(?P<scid>\d{4})"
                       r"-(?P<cr>[a-z])_lc\.fits")
FFI_NAME = re.compile(r"hlsp_tess-spoc_tess_phot_(?P<tic>\d{16})-s(?P<sector>\d{4})"
                      r"_tess_v(?P<version>\d+)_lc\.fits")
ALERTS_NAME = re.compile(r"hlsp_tess-data-alerts_tess_phot_(?P<tic>\d{11})-s(?P<sector>\d{2})"
                         r"_tess_v(?P<version>\d+)_lc\.fits")
_PATTERNS = ((SPOC, SPOC_NAME), (ALERTS, ALERTS_NAME), (FFI, FFI_NAME))
_SECTOR_FOLDER = re.compile(r'href="(?:\./)?s(\d{4})/?"')
#: lightkurve's download folders: a SPOC file's name without "_lc.fits", or the HLSP's.
_LIGHTKURVE_SPOC = re.compile(r"tess\d{13}-s\d{4}-(?P<tic>\d{16})-\d{4}-[a-z]")
_LIGHTKURVE_FFI = re.compile(r"hlsp_tess-spoc_tess_phot_(?P<tic>\d{16})-s\d{4}_tess_v\d+_tp")


_HLSP = re.compile(r"hlsp_([a-z0-9-]+)_", re.IGNORECASE)
_PRODUCT_NAMES = {SPOC: "SPOC 2-minute light curve",
                  ALERTS: "SPOC 2-minute light curve (data-alerts release)",
                  FFI: "TESS-SPOC FFI light curve"}


def product_of(filename: str, origin: str = "") -> str:
    """What a TESS file is, for messages: 'SPOC 2-minute light curve', 'TASOC HLSP', ... from
    its name (a temporary download name holds the real one), else its ORIGIN keyword."""
    for product, pattern in _PATTERNS:
        if pattern.search(filename):
            return _PRODUCT_NAMES[product]
    hlsp = _HLSP.search(filename)
    if hlsp:
        return f"{hlsp.group(1).upper()} HLSP"
    return f"TESS light curve from {origin}" if origin else "TESS light curve"


@dataclass(frozen=True)
class TessName:
    """A parsed TESS light-curve file name."""

    tic_id: int
    sector: int
    product: str
    filename: str


def parse_tess_name(name: str) -> TessName | None:
    """The TIC id, sector and product of a TESS light-curve file name, else None."""
    for product, pattern in _PATTERNS:
        match = pattern.fullmatch(name)
        if match:
            return TessName(int(match["tic"]), int(match["sector"]), product, name)
    return None


def padded_tic(tic_id: int) -> str:
    """The sixteen-digit zero-padded id used in every MAST name."""
    return f"{check_tic(tic_id):016d}"


def tic_folder(tic_id: int) -> PurePosixPath:
    """``0000/0002/6113/6679``: a target's folders, in MAST's trees and in lcfeat's cache."""
    padded = padded_tic(tic_id)
    return PurePosixPath(padded[0:4], padded[4:8], padded[8:12], padded[12:16])


def spoc_folder(sector: int, tic_id: int) -> str:
    """A star's 2-minute folder of one sector, relative to MAST's root (trailing slash)."""
    return f"{SPOC_TREE}/s{sector:04d}/{tic_folder(tic_id)}/"


def ffi_folder(sector: int, tic_id: int) -> str:
    """A star's TESS-SPOC folder of one sector, relative to MAST's root (trailing slash)."""
    return f"{FFI_TREE}/s{sector:04d}/target/{tic_folder(tic_id)}/"


def folder_of(name: TessName) -> str:
    """Where a file lives in MAST's trees, relative to the root."""
    if name.product == FFI:
        return ffi_folder(name.sector, name.tic_id)
    return spoc_folder(name.sector, name.tic_id)


def names_in_listing(html: str, tic_id: int) -> list[str]:
    """The star's light-curve file names found in a folder listing (any HTML or text)."""
    found = set()
    for _, pattern in _PATTERNS:
        for match in pattern.finditer(html):
            if int(match["tic"]) == tic_id:
                found.add(match.group(0))
    return sorted(found)


def sectors_in_listing(html: str) -> list[int]:
    """The sectors whose folders (``s0001/``) a tree's listing links to."""
    return sorted({int(s) for s in _SECTOR_FOLDER.findall(html)})


def lightkurve_folder_tic(folder_name: str) -> int | None:
    """The TIC id of a lightkurve TESS or TESS-SPOC download folder, else None."""
    match = _LIGHTKURVE_SPOC.fullmatch(folder_name) or _LIGHTKURVE_FFI.fullmatch(folder_name)
    return int(match["tic"]) if match else None


def tess_files_in(folder: Path, tic_id: int, own_folder: bool = False) -> list[Path]:
    """The star's TESS light-curve files directly inside `folder` (none if it is missing):
    those whose SPOC name carries its TIC id; in the star's `own_folder` (lcfeat's layout),
    every ``*.fits`` file, so that another product put there fails the star with a reason
    rather than being passed over."""
    try:
        entries = sorted(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [path for path in entries
            if ((parsed := parse_tess_name(path.name)) and parsed.tic_id == tic_id)
            or (own_folder and path.suffix == ".fits" and parse_tess_name(path.name) is None
                and not path.name.startswith("."))]


def targets_in_folder(root: Path) -> list[int]:
    """Every TIC id with a light-curve file in a TESS folder: a SPOC name at any depth
    (MAST's trees below the root), or any FITS file in lcfeat's layout (TTTT/TTTT/TTTT/TTTT/)."""
    root = Path(root)
    names = (parse_tess_name(path.name) for path in root.rglob("*_lc.fits"))
    ids = {name.tic_id for name in names if name is not None}
    for path in root.glob("[0-9]" * 4 + ("/" + "[0-9]" * 4) * 3 + "/*.fits"):
        ids.add(int("".join(path.parent.relative_to(root).parts)))
    return sorted(ids)
