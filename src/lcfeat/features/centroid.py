"""Centroid domain (4): motion of the flux-weighted centroid, in pixels.

Input: `MOM_CENTR1` (column) and `MOM_CENTR2` (row) of every cadence kept by the quality mask
(`LightCurve.centroid_col/row`, not thinned by the cosmic-ray clipping of the flux). Each
quarter is measured from its own median centroid, because the star falls on a different CCD
module every quarter after a roll (a TESS sector: another camera pointing); the motion over one
Kepler long cadence is likewise taken within quarters. Cadences whose centroid is NaN (the
pipeline could not compute it) are left out.
"""

from __future__ import annotations

import logging

import numpy as np

from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, Value, declare
from lcfeat.lightcurve.robust import KEPLER_CADENCE_D, cadences_in
from lcfeat.lightcurve.sources import NO_CENTROIDS

DOMAIN = "centroid"
#: The flux this domain is computed on (docs/features.md says it for every domain).
FLUX = (
    "MOM_CENTR1/MOM_CENTR2 of the cadences kept by the quality mask (cadences "
    "whose centroid is NaN skipped)"
)
FEATURES = declare(
    DOMAIN,
    ("centroid_jitter_mean", "pixel",
     "mean distance of each cadence's flux-weighted centroid from its quarter's median "
     "centroid", "MOM_CENTR1/MOM_CENTR2, Kepler Archive Manual KDMC-10008"),
    ("centroid_jitter_std", "pixel",
     "standard deviation of those distances", "MOM_CENTR1/MOM_CENTR2"),
    ("centroid_jitter_max", "pixel",
     "maximum of those distances", "MOM_CENTR1/MOM_CENTR2"),
    ("centroid_rms_motion", "pixel",
     "root mean square of the centroid displacement over one Kepler long cadence (29.4 min: "
     "the nearest whole number L of cadences, 1 for Kepler, 15 for TESS 2-min) between "
     "cadences L apart in the same quarter or sector",
     "MOM_CENTR1/MOM_CENTR2"),
)
NAMES = tuple(f.name for f in FEATURES)
MIN_POINTS = 2
#: The motion is measured over one Kepler long cadence, in cadences of the light curve.
MOTION_LAG_D = KEPLER_CADENCE_D

log = logging.getLogger(__name__)


def quarter_bounds(quarter: np.ndarray) -> np.ndarray:
    """Start index of each run of equal quarter numbers, followed by len(quarter)."""
    starts = np.flatnonzero(np.diff(quarter)) + 1
    return np.concatenate(([0], starts, [quarter.size])).astype(np.int64)


def centroid_features(
    col: np.ndarray, row: np.ndarray, quarter: np.ndarray, lag: int = 1
) -> DomainResult:
    """The 4 features of the centroids, the motion taken between cadences `lag` apart."""
    ok = np.isfinite(col) & np.isfinite(row)
    if not ok.all():
        col, row, quarter = col[ok], row[ok], quarter[ok]
    if col.size < MIN_POINTS:
        return DomainResult.all_null(
            NAMES, f"{col.size} cadences with a finite centroid, fewer than {MIN_POINTS}")

    bounds = quarter_bounds(quarter)
    lengths = np.diff(bounds)
    # A Python loop over quarters (at most 18), never over cadences.
    xy = np.stack((col, row))
    medians = np.column_stack(
        [np.median(xy[:, a:b], axis=1) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
    offset = xy - np.repeat(medians, lengths, axis=1)
    distance = np.sqrt(offset[0] ** 2 + offset[1] ** 2)

    step2 = (col[lag:] - col[:-lag]) ** 2 + (row[lag:] - row[:-lag]) ** 2
    step2 = step2[quarter[lag:] == quarter[:-lag]]

    values: dict[str, Value] = {
        "centroid_jitter_mean": float(np.mean(distance)),
        "centroid_jitter_std": float(np.std(distance)),
        "centroid_jitter_max": float(np.max(distance)),
    }
    result = DomainResult(values)
    if step2.size:
        values["centroid_rms_motion"] = float(np.sqrt(np.mean(step2)))
    else:
        result.set_null(("centroid_rms_motion",),
                        f"no two cadences {lag} apart in the same quarter or sector")
    return result


def compute(prepared: Prepared) -> DomainResult:
    lc = prepared.lc
    if lc.centroid_col is None or lc.centroid_row is None:
        reason = lc.centroid_null_reason or "light curve has no centroid columns"
        # Arrays without centroids are the caller's choice, not a defect of the data.
        level = logging.INFO if reason == NO_CENTROIDS else logging.WARNING
        log.log(level, "%s: centroid features are NULL: %s", lc.target_id, reason)
        return DomainResult.all_null(NAMES, reason)
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in the policy
        result = centroid_features(lc.centroid_col, lc.centroid_row, lc.quarter,
                                   cadences_in(MOTION_LAG_D, prepared.cadence))
    if result.null_reasons:
        log.warning("%s: some centroid features are NULL: %s", lc.target_id,
                    "; ".join(sorted(set(result.null_reasons.values()))))
    return result


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute)
