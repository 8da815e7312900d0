"""Names and places of Kepler long-cadence files: MAST's tree and lightkurve's cache.

MAST keeps every long-cadence light curve of a star in one folder,
``<root>/NNNN/NNNNNNNNN/kplrNNNNNNNNN-<stamp>_llc.fits``, where NNNNNNNNN is the KIC id zero-padded
to nine digits and NNNN its first four digits. The stamp is the end of the quarter's data
collection, so a file name hints at its quarter; the quarter itself is read from the header
(QUARTER keyword), never guessed from the stamp.

lightkurve (through astroquery) stores the same files, unchanged, as
``<cache>/mastDownload/Kepler/kplrNNNNNNNNN_lc_Q<18 digits>/kplrNNNNNNNNN-<stamp>_llc.fits``,
the 18 digits flagging which quarters the observation bundle held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lcfeat.targets.ids import check_kic

#: MAST's public Kepler light-curve tree.
MAST_LIGHTCURVES_URL = "https://archive.stsci.edu/pub/kepler/lightcurves/"

#: The 19 long-cadence file stamps of the 18 quarters (Q0-Q17); Q4 has two.
#: The quarter given here is only a hint for discovery and logging.
LONG_CADENCE_STAMPS: dict[str, int] = {
    "2009131105131": 0,
    "2009166043257": 1,
    "2009259160929": 2,
    "2009350155506": 3,
    "2010009091648": 4,
    "2010078095331": 4,
    "2010174085026": 5,
    "2010265121752": 6,
    "2010355172524": 7,
    "2011073133259": 8,
    "2011177032512": 9,
    "2011271113734": 10,
    "2012004120508": 11,
    "2012088054726": 12,
    "2012179063303": 13,
    "2012277125453": 14,
    "2013011073258": 15,
    "2013098041711": 16,
    "2013131215648": 17,
}

LLC_NAME = re.compile(r"kplr(?P<kic>[0-9]{9})-(?P<stamp>[0-9]{13})_llc\.fits")
_LIGHTKURVE_FOLDER = re.compile(r"kplr(?P<kic>[0-9]{9})_lc(?:_Q[01]+)?")


@dataclass(frozen=True)
class LlcName:
    """A parsed long-cadence file name."""

    kepler_id: int
    stamp: str

    @property
    def quarter_hint(self) -> int | None:
        """The quarter this stamp usually belongs to (None for an unknown stamp)."""
        return LONG_CADENCE_STAMPS.get(self.stamp)

    @property
    def filename(self) -> str:
        return llc_filename(self.kepler_id, self.stamp)


def padded_kic(kepler_id: int) -> str:
    """The nine-digit zero-padded id used in every MAST name."""
    return f"{check_kic(kepler_id):09d}"


def target_folder(kepler_id: int) -> PurePosixPath:
    """``NNNN/NNNNNNNNN``: a target's folder relative to the root of a MAST-layout tree."""
    padded = padded_kic(kepler_id)
    return PurePosixPath(padded[:4], padded)


def llc_filename(kepler_id: int, stamp: str) -> str:
    return f"kplr{padded_kic(kepler_id)}-{stamp}_llc.fits"


def parse_llc_name(name: str) -> LlcName | None:
    """The id and stamp of a long-cadence file name, or None for any other name."""
    match = LLC_NAME.fullmatch(name)
    if match is None:
        return None
    return LlcName(int(match["kic"]), match["stamp"])


def target_url(base_url: str, kepler_id: int) -> str:
    """URL of a target's folder (with trailing slash) under a MAST-layout tree."""
    return f"{base_url.rstrip('/')}/{target_folder(kepler_id)}/"


def file_url(base_url: str, kepler_id: int, filename: str) -> str:
    return target_url(base_url, kepler_id) + filename


def candidate_filenames(kepler_id: int) -> list[str]:
    """The 19 names a target's long-cadence files can have, in quarter order."""
    return [llc_filename(kepler_id, stamp) for stamp in LONG_CADENCE_STAMPS]


def names_in_listing(html: str, kepler_id: int) -> list[str]:
    """The target's long-cadence file names found in a folder listing (any HTML or text)."""
    wanted = padded_kic(kepler_id)
    found = {m.group(0) for m in LLC_NAME.finditer(html) if m["kic"] == wanted}
    return sorted(found)


def lightkurve_folder_kic(folder_name: str) -> int | None:
    """The KIC id of a lightkurve long-cadence download folder (``kplrN_lc_Q...``), else None."""
    match = _LIGHTKURVE_FOLDER.fullmatch(folder_name)
    return int(match["kic"]) if match else None


def targets_in_folder(root: Path) -> list[int]:
    """Every KIC id with a long-cadence file in a MAST-layout folder (NNNN/NNNNNNNNN/...)."""
    names = (parse_llc_name(path.name) for path in root.glob("*/*/kplr*_llc.fits"))
    return sorted({name.kepler_id for name in names if name is not None})
