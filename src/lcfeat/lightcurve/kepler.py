"""Kepler long-cadence FITS files to one stitched, normalised `LightCurve`.

Reading never memory-maps: a corrupt file read through mmap can kill the process with a bus
error, whereas a plain read raises an exception that fails only its target.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from astropy.io import fits

from lcfeat.errors import InvalidLightCurveFileError, NoUsableDataError
from lcfeat.lightcurve.model import LightCurve, Quarter
from lcfeat.lightcurve.quality import DEFAULT_QUALITY, quality_bitmask

log = logging.getLogger(__name__)


@contextmanager
def _quiet_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _column(columns: dict[str, str], name: str) -> str | None:
    return columns.get(name.lower())


def _float_array(data: fits.FITS_rec, name: str) -> np.ndarray:
    return np.asarray(data[name], dtype=np.float64)


def read_quarter(path: str | Path, quality: str | int = DEFAULT_QUALITY) -> Quarter:
    """Read one Kepler `_llc.fits` file, apply the quality mask and drop non-finite cadences.

    Raises `InvalidLightCurveFileError` with a one-line reason for anything that is not a
    readable Kepler long-cadence light curve (not FITS, truncated, no LIGHTCURVE table, another
    mission, short cadence, no PDCSAP_FLUX).
    """
    path = Path(path)
    bitmask = quality_bitmask(quality)
    try:
        # astropy's warnings about truncation or odd keywords become our one clear error
        with _quiet_warnings(), fits.open(path, memmap=False, lazy_load_hdus=False) as hdul:
            primary = hdul[0].header
            mission = str(primary.get("MISSION", primary.get("TELESCOP", ""))).strip()
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
            table = hdul["LIGHTCURVE"]
            data = table.data
            if data is None:
                raise InvalidLightCurveFileError(f"{path.name}: LIGHTCURVE table is empty")
            columns = {name.lower(): name for name in data.columns.names}
            missing = [
                name for name in ("TIME", "PDCSAP_FLUX") if _column(columns, name) is None
            ]
            if missing:
                raise InvalidLightCurveFileError(
                    f"{path.name}: LIGHTCURVE has no {', '.join(missing)} column "
                    "(not a Kepler archive light curve)"
                )
            quarter_kw = primary.get("QUARTER")
            if quarter_kw is None:
                raise InvalidLightCurveFileError(f"{path.name}: header has no QUARTER keyword")
            kepler_id = int(primary.get("KEPLERID", -1))
            time = _float_array(data, _column(columns, "TIME"))
            flux = _float_array(data, _column(columns, "PDCSAP_FLUX"))
            err_name = _column(columns, "PDCSAP_FLUX_ERR")
            flux_err = (
                _float_array(data, err_name) if err_name else np.full_like(flux, np.nan)
            )
            quality_name = _column(columns, "SAP_QUALITY") or _column(columns, "QUALITY")
            quality_flags = (
                np.asarray(data[quality_name], dtype=np.int64)
                if quality_name
                else np.zeros(time.shape, dtype=np.int64)
            )
            col_name = _column(columns, "MOM_CENTR1")
            row_name = _column(columns, "MOM_CENTR2")
            cadence_name = _column(columns, "CADENCENO")
            cadenceno = (np.asarray(data[cadence_name], dtype=np.int64)
                         if cadence_name else None)
            centroid_col = _float_array(data, col_name) if col_name and row_name else None
            centroid_row = _float_array(data, row_name) if col_name and row_name else None
            header = {
                key: primary.get(key)
                for key in ("TEFF", "LOGG", "RADIUS", "KEPMAG", "FEH", "DATA_REL", "OBJECT")
            }
    except InvalidLightCurveFileError:
        raise
    except FileNotFoundError:
        raise InvalidLightCurveFileError(f"{path}: no such file") from None
    except Exception as exc:  # astropy raises OSError, TypeError, ValueError, KeyError...
        raise InvalidLightCurveFileError(
            f"{path.name}: unreadable FITS file ({type(exc).__name__}: {exc})"
        ) from exc

    keep = (quality_flags & bitmask) == 0
    keep &= np.isfinite(time) & np.isfinite(flux)
    release = header.get("DATA_REL")
    return Quarter(
        quarter=int(quarter_kw),
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
        data_release=(int(release) if isinstance(release, int | float)
                      and not isinstance(release, bool) and np.isfinite(release) else None),
        name=path.name,
    )


def _cadence_keys(q: Quarter, by_number: bool) -> tuple[np.ndarray, np.ndarray]:
    """(keys of the kept cadences, keys of every row): CADENCENO, else the TIME's bits."""
    if by_number and q.cadenceno is not None and q.all_cadenceno is not None:
        return q.cadenceno, q.all_cadenceno
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
                "KIC %s: %s (Q%d, data release %s) repeats %d cadences of %s (data release "
                "%s): %s", kepler_id if kepler_id is not None else q.kepler_id,
                q.name or "a file", q.quarter, q.data_release, int(repeated.sum()),
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
    and named in `skipped_quarters`; if none is left, `NoUsableDataError` is raised.
    """
    ids = {q.kepler_id for q in quarters}
    if kepler_id is None:
        if len(ids) > 1:
            raise InvalidLightCurveFileError(
                f"files belong to different targets: KIC {', '.join(map(str, sorted(ids)))}"
            )
        kepler_id = ids.pop() if ids else -1
    elif ids - {kepler_id}:
        other = sorted(ids - {kepler_id})
        raise InvalidLightCurveFileError(
            f"files of KIC {', '.join(map(str, other))} given for KIC {kepler_id}"
        )

    quarters = drop_duplicate_cadences(quarters, kepler_id)
    usable: list[Quarter] = []
    skipped: list[str] = []
    for q in sorted(quarters, key=lambda q: (q.time[0] if q.time.size else np.inf, q.quarter)):
        median = float(np.median(q.flux)) if q.flux.size else np.nan
        if q.flux.size == 0:
            skipped.append(f"Q{q.quarter}: no finite unflagged cadence of {q.n_rows}")
        elif not np.isfinite(median) or median <= 0:
            skipped.append(f"Q{q.quarter}: median PDCSAP flux {median:g} is not positive")
        else:
            usable.append(q)
    for reason in skipped:
        log.warning("KIC %s %s; quarter skipped", kepler_id, reason)
    if not usable:
        detail = "; ".join(skipped) if skipped else "no files"
        raise NoUsableDataError(f"KIC {kepler_id}: no usable cadence ({detail})")

    medians = [float(np.median(q.flux)) for q in usable]
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
                "KIC %s: %s; centroid features will be NULL", kepler_id, centroid_reason)

    order = np.argsort(time, kind="stable")
    # Time strictly increases: two cadences at one instant (copies CADENCENO did not match)
    # keep the first, so no later step divides by a zero time step.
    order = order[np.concatenate(([True], np.diff(time[order]) > 0))]
    if order.size != time.size or np.any(np.diff(order) != 1):
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
        skipped_quarters=tuple(skipped),
    )


def _stellar_parameters(quarters: Iterable[Quarter]) -> dict[str, float]:
    """KIC stellar parameters from the primary headers (first finite value wins)."""
    names = {"TEFF": "teff", "LOGG": "logg", "RADIUS": "radius", "KEPMAG": "kepmag"}
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
) -> LightCurve:
    """Read, mask, normalise and stitch a target's quarter files."""
    if not paths:
        raise NoUsableDataError(f"KIC {kepler_id}: no light-curve files")
    return stitch([read_quarter(p, quality) for p in paths], kepler_id=kepler_id)
