"""The targets of a run: a `--targets` value, or every target of a local archive folder."""

from __future__ import annotations

from pathlib import Path

from lcfeat.archive.layout import targets_in_folder
from lcfeat.errors import InvalidTargetError
from lcfeat.targets.lists import is_file, read_target_labels, resolve_targets


def targets_for_run(spec: str | None, archive: str | None = None
                    ) -> tuple[list[int], dict[int, str]]:
    """The KIC ids to run and the labels the target list gives them (`label` column of a
    CSV, or a preset's host / quiet / nonhost). Without `spec`, every target of a local
    `archive` folder, unlabelled."""
    if spec is None or not spec.strip():
        if archive and Path(archive).is_dir():
            ids = targets_in_folder(Path(archive))
            if not ids:
                raise InvalidTargetError(f"no kplr*_llc.fits files found under {archive}")
            return ids, {}
        raise InvalidTargetError(
            "no targets: give --targets (KIC ids, a file or a preset) "
            "or --archive with a local folder to run all of its targets"
        )
    ids = resolve_targets(spec)
    if is_file(spec):
        return ids, read_target_labels(Path(spec))
    from lcfeat.targets import catalog

    return ids, catalog.preset_labels(spec) if spec in catalog.PRESETS else {}
