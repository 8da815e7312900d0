"""The light curve every later stage works on, and one quarter of it as read from a file.

A TESS sector plays the part of a Kepler quarter: `Quarter.quarter` and `LightCurve.quarter`
hold sector numbers when `mission` is "tess", and `kepler_id` holds the TIC id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lcfeat.targets.ids import format_target_id


@dataclass(frozen=True)
class Quarter:
    """One quarter file after masking, before normalisation."""

    quarter: int
    kepler_id: int
    time: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    centroid_col: np.ndarray | None
    centroid_row: np.ndarray | None
    header: dict[str, object]
    n_rows: int
    #: CADENCENO of each kept cadence, and of every row of the file (masked ones included):
    #: two files holding the same cadences are two copies of the same data. None when the
    #: file has no CADENCENO column.
    cadenceno: np.ndarray | None = None
    all_cadenceno: np.ndarray | None = None
    #: Every row's TIME, for files without CADENCENO.
    all_time: np.ndarray | None = None
    #: DATA_REL of the primary header (None if absent) and the file's name, for messages.
    data_release: int | None = None
    name: str = ""
    #: "kepler" or "tess" (then `quarter` is the sector and `kepler_id` the TIC id).
    mission: str = "kepler"
    #: Nominal time between cadences (days, the TIMEDEL keyword), when the file gives it.
    cadence: float | None = None

    @property
    def label(self) -> str:
        """`Q5` for a Kepler quarter, `S1` for a TESS sector."""
        return f"{'S' if self.mission == 'tess' else 'Q'}{self.quarter}"


@dataclass(frozen=True)
class LightCurve:
    """A target's stitched light curve: every array has one element per kept cadence.

    `flux` and `flux_err` are divided by their quarter's (sector's) median PDCSAP flux, so they
    are dimensionless with median 1 in each quarter. `time` is in days, sorted ascending: BKJD
    (BJD - 2454833) for Kepler, BTJD (BJD - 2457000) for TESS; `mission` says which, and
    `kepler_id` is then the TIC id and `quarter` the sector.
    Centroids are `MOM_CENTR1` (column) and `MOM_CENTR2` (row) in pixels, or None when the
    files have no such columns (`centroid_null_reason` says why).
    """

    kepler_id: int
    time: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    quarter: np.ndarray
    centroid_col: np.ndarray | None = None
    centroid_row: np.ndarray | None = None
    centroid_null_reason: str | None = None
    stellar: dict[str, float] = field(default_factory=dict)
    skipped_quarters: tuple[str, ...] = ()
    mission: str = "kepler"

    def __post_init__(self) -> None:
        n = self.time.shape[0]
        for name in ("flux", "flux_err", "quarter"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"LightCurve.{name} must have shape ({n},)")
        if (self.centroid_col is None) != (self.centroid_row is None):
            raise ValueError("centroid_col and centroid_row are both given or both None")

    @property
    def n_points(self) -> int:
        return int(self.time.shape[0])

    @property
    def quarters(self) -> tuple[int, ...]:
        return tuple(int(q) for q in np.unique(self.quarter))

    @property
    def target_id(self) -> str:
        """`KIC n` or `TIC n`."""
        return format_target_id(self.kepler_id, self.mission)


