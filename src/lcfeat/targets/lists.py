"""Target lists as users give them: KIC (or TIC) ids, a text or CSV file, or a preset name.

`read_targets` is the one reader every command and the Python API use: the ids in order, the
labels the list gives (a CSV `label` column, a preset's host / quiet / nonhost) and the other
columns of a CSV row (covariates such as `st_teff` for `lcfeat analyze`). The ids are KIC
ids, or TIC ids for `mission="tess"` (`TIC 261136679`, or a CSV with a `tic` or `ticid`
column); the presets are Kepler lists.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lcfeat.errors import InvalidTargetError
from lcfeat.targets.ids import CATALOGS, looks_like_id, parse_id, quoted

#: Columns that name the target in a CSV (`kepid` is the NASA Exoplanet Archive's name;
#: `tic_id`, `ticid` and `tic` name TESS targets).
ID_COLUMNS = ("target_id", "kepid", "kic", "tic_id", "ticid", "tic")


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
    return next((fields[name] for name in ID_COLUMNS if name in fields), None)


def _is_csv(path: Path, text: str, mission: str) -> bool:
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return path.suffix.lower() == ".csv" or (
        "," in first and not looks_like_id(first.split(",")[0], mission))


def read_target_file(path: Path, mission: str = "kepler") -> list[int]:
    """A CSV with a `target_id` or `kepid` column (TESS: `tic_id`, `ticid`, `tic`), or a text
    file with one id per line.

    Anything malformed (not text, a broken CSV, a value that is not an id) raises
    InvalidTargetError naming the file and the line.
    """
    text = _read_text(path)
    if _is_csv(path, text, mission):
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
                ids.append(parse_id(value, mission))
            except InvalidTargetError as exc:
                raise InvalidTargetError(f"{path}, line {line_number}: {exc}") from None
        return _unique(ids)
    ids = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            ids.append(parse_id(line, mission))
        except InvalidTargetError as exc:
            raise InvalidTargetError(f"{path}, line {line_number}: {exc}") from None
    return _unique(ids)


def read_target_rows(path: Path, mission: str = "kepler") -> dict[int, dict[str, str]]:
    """Every column of a target CSV by KIC (TIC) id, names in lower case (the id columns left
    out); {} for a text file. A target listed twice with two labels, or anything malformed,
    is an InvalidTargetError naming the file (and the line)."""
    text = _read_text(path)
    if not _is_csv(path, text, mission):
        return {}
    rows, fields, lines = _csv_rows(path, text)
    column = _id_column(fields)
    if column is None:
        return {}
    out: dict[int, dict[str, str]] = {}
    for line_number, row in zip(lines, rows, strict=True):
        value = (row.get(column) or "").strip()
        if not value:
            continue
        try:
            kepler_id = parse_id(value, mission)
        except InvalidTargetError as exc:
            raise InvalidTargetError(f"{path}, line {line_number}: {exc}") from None
        values = {name: (row.get(original) or "").strip() for name, original in fields.items()
                  if name not in ID_COLUMNS}
        before = out.get(kepler_id, {}).get("label")
        if before and values.get("label") and before != values["label"]:
            raise InvalidTargetError(
                f"{path}, line {line_number}: {CATALOGS[mission]} {kepler_id} is listed twice, "
                "labelled "
                f"{quoted(before)} and {quoted(values['label'])}")
        out.setdefault(kepler_id, values)
    return out


def read_target_labels(path: Path) -> dict[int, str]:
    """The `label` column of a target CSV (e.g. from `lcfeat select`), if it has one."""
    return {kepler_id: row["label"] for kepler_id, row in read_target_rows(path).items()
            if row.get("label")}


@dataclass(frozen=True)
class TargetList:
    """Targets as a user gave them: KIC ids in order (duplicates dropped), the labels the
    list gives (a CSV `label` column or a preset's), and the other columns of each CSV row
    by lower-case name. `source` says where they came from, for messages and reports."""

    ids: list[int]
    labels: dict[int, str] = field(default_factory=dict)
    columns: dict[int, dict[str, str]] = field(default_factory=dict)
    source: str = ""


def read_targets(spec: str | Iterable[int | str], mission: str = "kepler") -> TargetList:
    """The targets a `--targets` value names: comma-separated ids, a text file (one id per
    line), a CSV with a `target_id`, `kepid` or `kic` column, or a preset name; or, from
    Python, a list of ids (`3342467`, `"KIC 3342467"`). With `mission="tess"` the ids are
    TIC ids (`TIC 261136679`; CSV columns `target_id`, `tic_id`, `ticid`, `tic`)."""
    if not isinstance(spec, str):
        ids = _unique([parse_id(item, mission) for item in spec])
        if not ids:
            raise InvalidTargetError("no targets given")
        return TargetList(ids, source=f"{len(ids)} {CATALOGS[mission]} ids")
    ids = resolve_targets(spec, mission)
    path = Path(spec)
    if is_file(spec):
        rows = read_target_rows(path, mission)
        labels = {k: row["label"] for k, row in rows.items() if row.get("label")}
        columns = {k: {n: v for n, v in row.items() if n != "label"} for k, row in rows.items()}
        return TargetList(ids, labels, columns, source=str(path))
    from lcfeat.targets import catalog

    if spec in catalog.PRESETS:
        return TargetList(ids, catalog.preset_labels(spec), source=f"preset {spec}")
    return TargetList(ids, source=f"{len(ids)} {CATALOGS[mission]} ids")


def is_file(text: str) -> bool:
    """Whether `text` names an existing file; False for what cannot be a path at all (too
    long, a NUL byte) rather than an error."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def resolve_targets(spec: str, mission: str = "kepler") -> list[int]:
    """The KIC (TIC) ids a `--targets` value names (see `lcfeat run --help`).

    Order: an existing file, a preset name (Kepler only), then comma-separated ids.
    """
    catalog_ids = CATALOGS[mission]
    path = Path(spec)
    if is_file(spec):
        ids = read_target_file(path, mission)
        if not ids:
            raise InvalidTargetError(f"{path}: no {catalog_ids} ids in the file")
        return ids
    from lcfeat.targets import catalog

    if spec in catalog.PRESETS:
        if mission != "kepler":
            raise InvalidTargetError(
                f"preset {spec!r} lists Kepler stars (KIC ids), not {catalog_ids} ids")
        return catalog.load_preset(spec)
    items = [item for item in spec.split(",") if item.strip()]
    if len(items) == 1 and not looks_like_id(items[0], mission):
        presets = ", ".join(sorted(catalog.PRESETS))
        raise InvalidTargetError(
            f"--targets {quoted(spec)} is not a file, a preset ({presets}) or a {catalog_ids} id"
        )
    return _unique([parse_id(item, mission) for item in items])
