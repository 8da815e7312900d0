"""Target lists: KIC ids from the command line, a text or CSV file, a preset, or an archive."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from lcfeat.errors import InvalidTargetError

#: KIC ids are positive and have at most nine digits (the padded width of MAST's names).
MAX_KIC_ID = 999_999_999
_ID = re.compile(r"^\s*(?:(?:kic|kplr)[\s_:-]*)?0*(\d{1,9})\s*$", re.IGNORECASE)


def check_kic(kepler_id: int) -> int:
    """The id itself if it is a plausible KIC id, else InvalidTargetError."""
    if isinstance(kepler_id, bool) or not isinstance(kepler_id, int):
        raise InvalidTargetError(f"KIC id must be an integer, got {kepler_id!r}")
    if not 0 < kepler_id <= MAX_KIC_ID:
        raise InvalidTargetError(f"KIC {kepler_id}: not a KIC id (expected 1..{MAX_KIC_ID})")
    return kepler_id


def parse_kic(text: str | int) -> int:
    """`3342467`, `KIC 3342467`, `kplr003342467` or an int -> 3342467; else an error."""
    if isinstance(text, int) and not isinstance(text, bool):
        return check_kic(text)
    match = _ID.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise InvalidTargetError(
            f"{text!r} is not a KIC id (expected e.g. 3342467 or 'KIC 3342467')"
        )
    return int(match.group(1))


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _csv_reader(text: str) -> tuple[csv.DictReader[str], dict[str, str]]:
    """Rows of a CSV (comment lines skipped) and its column names by lower-case name."""
    reader = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return reader, {name.strip().lower(): name for name in reader.fieldnames or []}


def _id_column(fields: dict[str, str]) -> str | None:
    return fields.get("target_id") or fields.get("kepid") or fields.get("kic")


def read_target_file(path: Path) -> list[int]:
    """A CSV with a `target_id` or `kepid` column, or a text file with one id per line."""
    text = path.read_text(encoding="utf-8-sig")
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if path.suffix.lower() == ".csv" or ("," in first and not _ID.match(first.split(",")[0])):
        reader, fields = _csv_reader(text)
        column = _id_column(fields)
        if column is None:
            raise InvalidTargetError(
                f"{path}: CSV needs a 'target_id' or 'kepid' column, has "
                f"{', '.join(reader.fieldnames or []) or 'none'}"
            )
        ids = []
        for line_number, row in enumerate(reader, start=2):
            value = (row.get(column) or "").strip()
            if not value:
                continue
            try:
                ids.append(parse_kic(value))
            except InvalidTargetError as exc:
                raise InvalidTargetError(f"{path}, line {line_number}: {exc}") from None
        return _unique(ids)
    ids = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            ids.append(parse_kic(line))
        except InvalidTargetError as exc:
            raise InvalidTargetError(f"{path}, line {line_number}: {exc}") from None
    return _unique(ids)


def read_target_labels(path: Path) -> dict[int, str]:
    """The `label` column of a target CSV (e.g. from `lcfeat select`), if it has one."""
    if path.suffix.lower() != ".csv":
        return {}
    reader, fields = _csv_reader(path.read_text(encoding="utf-8-sig"))
    column = _id_column(fields)
    label = fields.get("label")
    if column is None or label is None:
        return {}
    return {parse_kic(row[column]): row[label].strip() for row in reader
            if (row.get(column) or "").strip() and (row.get(label) or "").strip()}


def targets_in_folder(root: Path) -> list[int]:
    """Every KIC id with a long-cadence file in a MAST-layout folder (NNNN/NNNNNNNNN/...)."""
    from lcfeat.archive.layout import parse_llc_name

    names = (parse_llc_name(path.name) for path in root.glob("*/*/kplr*_llc.fits"))
    return sorted({name.kepler_id for name in names if name is not None})


def resolve_targets(spec: str | None, archive: str | None = None) -> list[int]:
    """The KIC ids a `--targets` value names (see `lcfeat run --help`).

    Order: an existing file, a preset name, then comma-separated ids. Without a value, every
    target of a local archive folder.
    """
    if spec is None or not spec.strip():
        if archive and Path(archive).is_dir():
            ids = targets_in_folder(Path(archive))
            if not ids:
                raise InvalidTargetError(f"no kplr*_llc.fits files found under {archive}")
            return ids
        raise InvalidTargetError(
            "no targets: give --targets (KIC ids, a file or a preset) "
            "or --archive with a local folder to run all of its targets"
        )
    path = Path(spec)
    if path.is_file():
        ids = read_target_file(path)
        if not ids:
            raise InvalidTargetError(f"{path}: no KIC ids in the file")
        return ids
    from lcfeat import catalog

    if spec in catalog.PRESETS:
        return catalog.load_preset(spec)
    items = [item for item in spec.split(",") if item.strip()]
    if len(items) == 1 and not _ID.match(items[0]):
        presets = ", ".join(sorted(catalog.PRESETS))
        raise InvalidTargetError(
            f"--targets {spec!r} is not a file, a preset ({presets}) or a KIC id"
        )
    return _unique([parse_kic(item) for item in items])
