"""Target lists as users give them: KIC ids, a text or CSV file, or a preset name."""

from __future__ import annotations

import csv
from pathlib import Path

from lcfeat.errors import InvalidTargetError
from lcfeat.targets.ids import looks_like_kic, parse_kic


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
    if path.suffix.lower() == ".csv" or ("," in first and not looks_like_kic(first.split(",")[0])):
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


def resolve_targets(spec: str) -> list[int]:
    """The KIC ids a `--targets` value names (see `lcfeat run --help`).

    Order: an existing file, a preset name, then comma-separated ids.
    """
    path = Path(spec)
    if path.is_file():
        ids = read_target_file(path)
        if not ids:
            raise InvalidTargetError(f"{path}: no KIC ids in the file")
        return ids
    from lcfeat.targets import catalog

    if spec in catalog.PRESETS:
        return catalog.load_preset(spec)
    items = [item for item in spec.split(",") if item.strip()]
    if len(items) == 1 and not looks_like_kic(items[0]):
        presets = ", ".join(sorted(catalog.PRESETS))
        raise InvalidTargetError(
            f"--targets {spec!r} is not a file, a preset ({presets}) or a KIC id"
        )
    return _unique([parse_kic(item) for item in items])
