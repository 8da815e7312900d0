"""Light-curve files of either mission to one stitched, normalised `LightCurve`.

The mission of a file comes from its header (TELESCOP), never from its name: `read_file`
hands a Kepler file to `kepler.read_quarter`'s reader and a TESS file to `tess.read_sector`'s.
`stitch` then divides each quarter (sector) by its median flux and joins them in time order.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from lcfeat.errors import InvalidLightCurveFileError, NoUsableDataError
from lcfeat.lightcurve import robust
from lcfeat.lightcurve.fitsfile import open_light_curve_file
from lcfeat.lightcurve.kepler import quarter_from_hdus
from lcfeat.lightcurve.model import LightCurve, Quarter
from lcfeat.lightcurve.quality import DEFAULT_QUALITY
from lcfeat.lightcurve.tess import sector_from_hdus
from lcfeat.targets.ids import MISSION_NAMES, format_target_id

log = logging.getLogger(__name__)


def read_file(path: str | Path, quality: str | int = DEFAULT_QUALITY,
              mission: str | None = None) -> Quarter:
    """One quarter (Kepler) or sector (TESS) of a light-curve file, the reader chosen by the
    file's TELESCOP keyword. Given `mission`, a file of another mission is an error."""
    path = Path(path)
    with open_light_curve_file(path) as hdul:
        telescope = str(hdul[0].header.get("TELESCOP", "")).strip()
        found = "tess" if telescope == "TESS" else "kepler"
        if mission is not None and found != mission:
            raise InvalidLightCurveFileError(
                f"{path.name}: mission is {telescope or 'unknown'!r}, not "
                f"{MISSION_NAMES.get(mission, mission)}")
        if found == "tess":
            return sector_from_hdus(hdul, path, quality)
        return quarter_from_hdus(hdul, path, quality)


def _one_per_sector(quarters: Sequence[Quarter]) -> tuple[list[Quarter], list[str]]:
    """TESS: one light curve per sector, the shortest cadence (a sector's 2-minute light
    curve over its full-frame-image one); the others are named in the returned notes."""
    chosen: dict[int, Quarter] = {}
    for q in quarters:
        best = chosen.get(q.quarter)
        if best is None or (q.cadence or np.inf, -q.n_rows) < (best.cadence or np.inf,
                                                                -best.n_rows):
            chosen[q.quarter] = q
    notes = [
        f"{q.label}: the {_minutes(q.cadence)} light curve is left out for the sector's "
        f"{_minutes(chosen[q.quarter].cadence)} one"
        for q in quarters if chosen[q.quarter] is not q
    ]
    return [q for q in quarters if chosen[q.quarter] is q], notes


def _minutes(cadence: float | None) -> str:
    return f"{cadence * 1440:.0f}-minute" if cadence else "other"


def _cadence_keys(q: Quarter, by_number: bool) -> tuple[np.ndarray, np.ndarray]:
    """(keys of the kept cadences, keys of every row): the quarter (sector) with CADENCENO,
    else the TIME's bits. Two files repeat a cadence only within the same quarter: files of
    different quarters never share one, whatever their counters say."""
    if by_number and q.cadenceno is not None and q.all_cadenceno is not None:
        shift = np.int64(q.quarter) << np.int64(40)
        return q.cadenceno + shift, q.all_cadenceno + shift
    every = q.all_time if q.all_time is not None else q.time
    return q.time.view(np.int64), every[np.isfinite(every)].view(np.int64)


def drop_duplicate_cadences(quarters: Sequence[Quarter],
                            kepler_id: int | None = None) -> list[Quarter]:
    """Each cadence once: when files hold the same cadences (one quarter saved under two
    names, or two data releases of it, as a mirror holding both releases has), the newest
    data release (DATA_REL) keeps them and the other file loses them, with a warning.

    Cadences are matched by CADENCENO (by TIME when a file has no CADENCENO). A cadence
    the newest release masks stays masked: every row of a file claims its cadence.
    """
    by_number = all(q.all_cadenceno is not None for q in quarters)
    keys = [_cadence_keys(q, by_number) for q in quarters]
    every = np.concatenate([k[1] for k in keys]) if keys else np.empty(0, dtype=np.int64)
    if np.unique(every).size == every.size:
        return list(quarters)  # the usual case: no cadence twice
    # Newest release first; among equals, the order the files were given.
    order = sorted(range(len(quarters)),
                   key=lambda i: (-(quarters[i].data_release if quarters[i].data_release
                                    is not None else -1), i))
    done: list[int] = []
    kept: dict[int, Quarter] = {}
    for index in order:
        q = quarters[index]
        kept_keys = keys[index][0]
        repeated = np.zeros(kept_keys.size, dtype=bool)
        for earlier in done:
            repeated |= np.isin(kept_keys, keys[earlier][1])
        if repeated.any():
            first = next(quarters[e] for e in done
                         if np.isin(kept_keys[repeated][:1], keys[e][1]).any())
            kept_note = ("the same release: kept once" if first.data_release == q.data_release
                         else "the newest release is kept")
            log.warning(
                "%s: %s (%s, data release %s) repeats %d cadences of %s (data release "
                "%s): %s", format_target_id(
                    kepler_id if kepler_id is not None else q.kepler_id, q.mission),
                q.name or "a file", q.label, q.data_release, int(repeated.sum()),
                first.name or "another file", first.data_release, kept_note)
            q = _without(q, ~repeated)
        done.append(index)
        if q.time.size or not repeated.any():
            kept[index] = q
    return [kept[i] for i in sorted(kept)]


def _without(q: Quarter, keep: np.ndarray) -> Quarter:
    """The quarter with only the cadences where `keep` is True."""
    def cut(values: np.ndarray | None) -> np.ndarray | None:
        return values[keep] if values is not None else None

    return dataclasses.replace(
        q, time=q.time[keep], flux=q.flux[keep], flux_err=q.flux_err[keep],
        centroid_col=cut(q.centroid_col), centroid_row=cut(q.centroid_row),
        cadenceno=cut(q.cadenceno))


def stitch(quarters: Sequence[Quarter], kepler_id: int | None = None,
           no_centroids: str | None = None) -> LightCurve:
    """Normalise each quarter by its median flux and join them in time order.

    When a quarter has no centroids the centroid features are NULL: for files that lack the
    columns a warning says so; a caller that expects none gives the reason (`no_centroids`).

    Quarters with no usable cadence (all NaN, all flagged) or a non-positive median are skipped
    and named in `skipped_quarters`; if none is left, `NoUsableDataError` is raised. A TESS
    sector given twice (its 2-minute and its full-frame-image light curve) is used once, at
    the shorter cadence.
    """
    missions = {q.mission for q in quarters}
    if len(missions) > 1:
        raise InvalidLightCurveFileError(
            f"files of different missions: {', '.join(sorted(MISSION_NAMES[m] for m in missions))}")
    mission = missions.pop() if missions else "kepler"
    ids = {q.kepler_id for q in quarters}
    if kepler_id is None:
        if len(ids) > 1:
            raise InvalidLightCurveFileError(
                "files belong to different targets: "
                + ", ".join(format_target_id(k, mission) for k in sorted(ids))
            )
        kepler_id = ids.pop() if ids else -1
    elif ids - {kepler_id}:
        other = sorted(ids - {kepler_id})
        raise InvalidLightCurveFileError(
            f"files of {', '.join(format_target_id(k, mission) for k in other)} given for "
            f"{format_target_id(kepler_id, mission)}"
        )
    target = format_target_id(kepler_id, mission)
    left_out: list[str] = []
    if mission == "tess":
        quarters, left_out = _one_per_sector(quarters)
        for note in left_out:
            log.info("%s %s", target, note)
    quarters = drop_duplicate_cadences(quarters, kepler_id)

    usable: list[Quarter] = []
    skipped: list[str] = []
    for q in sorted(quarters, key=lambda q: (q.time[0] if q.time.size else np.inf, q.quarter)):
        median = robust.median(q.flux) if q.flux.size else np.nan
        if q.flux.size == 0:
            skipped.append(f"{q.label}: no finite unflagged cadence of {q.n_rows}")
        elif not np.isfinite(median) or median <= 0:
            skipped.append(f"{q.label}: median PDCSAP flux {median:g} is not positive")
        else:
            usable.append(q)
    for reason in skipped:
        log.warning("%s %s; %s skipped", target, reason,
                    "sector" if mission == "tess" else "quarter")
    if not usable:
        detail = "; ".join(skipped) if skipped else "no files"
        raise NoUsableDataError(f"{target}: no usable cadence ({detail})")

    medians = [robust.median(q.flux) for q in usable]
    time = np.concatenate([q.time for q in usable])
    flux = np.concatenate([q.flux / m for q, m in zip(usable, medians, strict=True)])
    flux_err = np.concatenate([q.flux_err / m for q, m in zip(usable, medians, strict=True)])
    quarter = np.concatenate([np.full(q.time.size, q.quarter, dtype=np.int16) for q in usable])
    has_centroids = all(q.centroid_col is not None for q in usable)
    centroid_col = centroid_row = None
    centroid_reason = None
    if has_centroids:
        centroid_col = np.concatenate([q.centroid_col for q in usable])
        centroid_row = np.concatenate([q.centroid_row for q in usable])
    else:
        centroid_reason = no_centroids or "light-curve files have no MOM_CENTR1/MOM_CENTR2 columns"
        log.log(logging.DEBUG if no_centroids else logging.WARNING,
                "%s: %s; centroid features will be NULL", target, centroid_reason)

    order = np.argsort(time, kind="stable")
    if np.any(np.diff(order) != 1):
        time, flux, flux_err, quarter = time[order], flux[order], flux_err[order], quarter[order]
        if centroid_col is not None and centroid_row is not None:
            centroid_col, centroid_row = centroid_col[order], centroid_row[order]
    return LightCurve(
        kepler_id=int(kepler_id),
        time=time,
        flux=flux,
        flux_err=flux_err,
        quarter=quarter,
        centroid_col=centroid_col,
        centroid_row=centroid_row,
        centroid_null_reason=centroid_reason,
        stellar=_stellar_parameters(usable),
        skipped_quarters=tuple(skipped + left_out),
        mission=mission,
    )


def _stellar_parameters(quarters: Iterable[Quarter]) -> dict[str, float]:
    """KIC or TIC stellar parameters from the primary headers (first finite value wins)."""
    names = {"TEFF": "teff", "LOGG": "logg", "RADIUS": "radius", "KEPMAG": "kepmag",
             "TESSMAG": "tessmag"}
    out: dict[str, float] = {}
    for q in quarters:
        for key, name in names.items():
            value = q.header.get(key)
            if name not in out and isinstance(value, int | float) and np.isfinite(value):
                out[name] = float(value)
    return out


def read_light_curve(
    paths: Sequence[str | Path],
    quality: str | int = DEFAULT_QUALITY,
    kepler_id: int | None = None,
    mission: str | None = None,
) -> LightCurve:
    """Read, mask, normalise and stitch a target's quarter (sector) files. Each file's
    mission comes from its header; given `mission`, a file of another one is an error."""
    if not paths:
        raise NoUsableDataError(
            f"{format_target_id(kepler_id or -1, mission or 'kepler')}: no light-curve files")
    return stitch([read_file(p, quality, mission) for p in paths], kepler_id=kepler_id)
