"""Target lists as users give them: KIC ids, a text or CSV file, or a preset name."""

from __future__ import annotations

import csv
from pathlib import Path

from lcfeat.errors import InvalidTargetError
from lcfeat.targets.ids import looks_like_kic, parse_kic, quoted


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


class _NumberedLines:
    """The lines of a text that are not comments, remembering each one's line number in the
    file, so that an error found by the CSV reader names the line a user sees."""

    def __init__(self, text: str) -> None:
        self.numbers: list[int] = []
        self.lines: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.startswith("#"):
                self.numbers.append(number)
                self.lines.append(line)

    def file_line(self, reader_line: int) -> int:
        """The file's line number of the reader's (1-based) line number."""
        if not self.numbers:
            return 1
        return self.numbers[min(max(reader_line, 1), len(self.numbers)) - 1]


def _read_text(path: Path) -> str:
    """The file as text, or InvalidTargetError naming the file (and the line of a bad byte)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidTargetError(f"{path}: cannot read the target list: "
                                 f"{exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InvalidTargetError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); a target "
            "list is a text or CSV file"
        ) from None


def _csv_rows(path: Path, text: str) -> tuple[list[dict[str, str]], dict[str, str], list[int]]:
    """Rows of a CSV (comment lines skipped), its column names by lower-case name, and each
    row's line number; a malformed CSV is an InvalidTargetError naming the file and line."""
    numbered = _NumberedLines(text)
    reader = csv.DictReader(numbered.lines)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    try:
        fields = {name.strip().lower(): name for name in reader.fieldnames or []}
        for row in reader:
            rows.append(row)
            lines.append(numbered.file_line(reader.line_num))
    except csv.Error as exc:
        # the underlying reader counts the line it failed on; DictReader only finished rows
        raise InvalidTargetError(
            f"{path}, line {numbered.file_line(reader.reader.line_num)}: malformed CSV ({exc})"
        ) from None
    return rows, fields, lines


def _id_column(fields: dict[str, str]) -> str | None:
    return fields.get("target_id") or fields.get("kepid") or fields.get("kic")


def _is_csv(path: Path, text: str) -> bool:
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return path.suffix.lower() == ".csv" or ("," in first
                                             and not looks_like_kic(first.split(",")[0]))


def read_target_file(path: Path) -> list[int]:
    """A CSV with a `target_id` or `kepid` column, or a text file with one id per line.

    Anything malformed (not text, a broken CSV, a value that is not a KIC id) raises
    InvalidTargetError naming the file and the line.
    """
    text = _read_text(path)
    if _is_csv(path, text):
        rows, fields, lines = _csv_rows(path, text)
        column = _id_column(fields)
        if column is None:
            raise InvalidTargetError(
                f"{path}: CSV needs a 'target_id' or 'kepid' column, has "
                f"{quoted(', '.join(fields.values())) if fields else 'none'}"
            )
        ids = []
        for line_number, row in zip(lines, rows, strict=True):
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
    rows, fields, lines = _csv_rows(path, _read_text(path))
    column = _id_column(fields)
    label = fields.get("label")
    if column is None or label is None:
        return {}
    labels = {}
    for line_number, row in zip(lines, rows, strict=True):
        kic, text = (row.get(column) or "").strip(), (row.get(label) or "").strip()
        if kic and text:
            try:
                labels[parse_kic(kic)] = text
            except InvalidTargetError as exc:
                raise InvalidTargetError(f"{path}, line {line_number}: {exc}") from None
    return labels


def is_file(text: str) -> bool:
    """Whether `text` names an existing file; False for what cannot be a path at all (too
    long, a NUL byte) rather than an error."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def resolve_targets(spec: str) -> list[int]:
    """The KIC ids a `--targets` value names (see `lcfeat run --help`).

    Order: an existing file, a preset name, then comma-separated ids.
    """
    path = Path(spec)
    if is_file(spec):
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
            f"--targets {quoted(spec)} is not a file, a preset ({presets}) or a KIC id"
        )
    return _unique([parse_kic(item) for item in items])
