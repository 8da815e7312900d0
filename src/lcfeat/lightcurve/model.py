"""The light curve every later stage works on, and one quarter of it as read from a file."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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


@dataclass(frozen=True)
class LightCurve:
    """A target's stitched light curve: every array has one element per kept cadence.

    `flux` and `flux_err` are divided by their quarter's median PDCSAP flux, so they are
    dimensionless with median 1 in each quarter. `time` is BKJD in days, sorted ascending.
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


