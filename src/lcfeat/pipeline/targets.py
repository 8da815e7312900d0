"""The targets of a run: a `--targets` value, or every target of a local archive folder."""

from __future__ import annotations

from pathlib import Path

from lcfeat.archive import tess_layout
from lcfeat.archive.layout import targets_in_folder
from lcfeat.errors import InvalidTargetError
from lcfeat.targets.ids import CATALOGS
from lcfeat.targets.lists import read_targets


def targets_for_run(spec: str | None, archive: str | None = None, mission: str = "kepler"
                    ) -> tuple[list[int], dict[int, str]]:
    """The KIC ids (TIC ids for TESS) to run and the labels the target list gives them
    (`label` column of a CSV, or a preset's host / quiet / nonhost). Without `spec`, every
    target of a local `archive` folder, unlabelled."""
    if spec is None or not spec.strip():
        if archive and Path(archive).is_dir():
            if mission == "tess":
                ids = tess_layout.targets_in_folder(Path(archive))
                kind = "TESS SPOC light curves (tess*_lc.fits, hlsp_tess-spoc_*_lc.fits)"
            else:
                ids = targets_in_folder(Path(archive))
                kind = "kplr*_llc.fits files"
            if not ids:
                raise InvalidTargetError(f"no {kind} found under {archive}")
            return ids, {}
        raise InvalidTargetError(
            f"no targets: give --targets ({CATALOGS[mission]} ids, a file or a preset) "
            "or --archive with a local folder to run all of its targets"
        )
    targets = read_targets(spec, mission)
    return targets.ids, targets.labels
