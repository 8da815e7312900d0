"""Target lists from ids, text files, CSV files and local archive folders."""

from __future__ import annotations

import pytest

from lcfeat.errors import InvalidTargetError
from lcfeat.targets.ids import parse_kic
from lcfeat.targets.lists import resolve_targets


@pytest.mark.parametrize("text", ["3342467", "KIC 3342467", "kic3342467", "kplr003342467",
                                  " 003342467 ", "KIC 003342467"])
def test_parse_kic_forms(text):
    assert parse_kic(text) == 3342467


@pytest.mark.parametrize("text", ["", "KIC", "abc", "TIC 261136679x", "0", "12345678901", "-5"])
def test_parse_kic_rejects(text):
    with pytest.raises(InvalidTargetError):
        parse_kic(text)


def test_comma_separated_ids_keep_order_and_drop_duplicates():
    assert resolve_targets("11904151, KIC 3342467,11904151") == [11904151, 3342467]


def test_text_file(tmp_path):
    path = tmp_path / "targets.txt"
    path.write_text("# my stars\nKIC 3342467\n\n11904151  # Kepler-10\n")
    assert resolve_targets(str(path)) == [3342467, 11904151]


def test_text_file_with_bad_line_names_the_line(tmp_path):
    path = tmp_path / "targets.txt"
    path.write_text("3342467\nbanana\n")
    with pytest.raises(InvalidTargetError, match="line 2"):
        resolve_targets(str(path))


@pytest.mark.parametrize("column", ["target_id", "kepid"])
def test_csv_file(tmp_path, column):
    path = tmp_path / "targets.csv"
    path.write_text(f"{column},label\nKIC 3342467,quiet\n11904151,host\n")
    assert resolve_targets(str(path)) == [3342467, 11904151]


def test_csv_without_id_column(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("star,label\nx,y\n")
    with pytest.raises(InvalidTargetError, match="target_id"):
        resolve_targets(str(path))


def test_unknown_word_is_an_error():
    with pytest.raises(InvalidTargetError, match="not a file, a preset"):
        resolve_targets("my-favourite-stars")


def test_labels_come_from_a_selection_csv(tmp_path):
    from pathlib import Path

    from lcfeat.targets.lists import read_target_labels

    path = tmp_path / "targets.csv"
    path.write_text("target_id,label,st_teff\nKIC 3342467,quiet,5303\nKIC 11904151,host,5627\n")
    assert read_target_labels(Path(path)) == {3342467: "quiet", 11904151: "host"}
    plain = tmp_path / "plain.csv"
    plain.write_text("kepid\n3342467\n")
    assert read_target_labels(plain) == {}


# --- read_targets: the one reader of run, analyze and the Python API ---------------------------


@pytest.mark.parametrize("column", ["target_id", "kepid", "KIC"])
def test_read_targets_csv_gives_ids_labels_and_other_columns(tmp_path, column):
    from lcfeat.targets.lists import read_targets

    path = tmp_path / "labels.csv"
    path.write_text(f"{column},label,st_teff\nKIC 3342467,quiet,5303\n11904151,host,\n")
    targets = read_targets(str(path))
    assert targets.ids == [3342467, 11904151]
    assert targets.labels == {3342467: "quiet", 11904151: "host"}
    assert targets.columns == {3342467: {"st_teff": "5303"}, 11904151: {"st_teff": ""}}
    assert targets.source == str(path)


def test_read_targets_text_ids_presets_and_python_lists(tmp_path):
    from lcfeat.targets.lists import read_targets

    path = tmp_path / "ids.txt"
    path.write_text("KIC 3342467\n11904151\n")
    assert read_targets(str(path)).ids == [3342467, 11904151]
    assert read_targets(str(path)).labels == {}
    preset = read_targets("bundled-5")
    assert preset.labels[11904151] == "host" and preset.ids == list(preset.labels)
    assert read_targets("3342467, KIC 11904151").ids == [3342467, 11904151]
    assert read_targets([3342467, "KIC 11904151", 3342467]).ids == [3342467, 11904151]
    with pytest.raises(InvalidTargetError, match="'banana' is not a KIC id"):
        read_targets(["banana"])


def test_a_target_listed_twice_with_two_labels_is_an_error(tmp_path):
    from lcfeat.targets.lists import read_targets

    path = tmp_path / "labels.csv"
    path.write_text("kepid,label\n3342467,quiet\n3342467,host\n")
    with pytest.raises(InvalidTargetError, match="listed twice, labelled 'quiet' and 'host'"):
        read_targets(str(path))


def test_what_select_writes_is_read_back_with_labels(tmp_path):
    """`lcfeat select` writes the CSV that run, analyze and the API read."""
    from lcfeat.cli import main
    from lcfeat.targets.lists import read_targets

    out = tmp_path / "targets.csv"
    assert main(["select", "--n-quiet", "20", "--n-hosts", "10", "--seed", "1",
                 "--catalog", "bundled", "-o", str(out)]) == 0
    targets = read_targets(str(out))
    assert len(targets.ids) == 30
    assert sorted(set(targets.labels.values())) == ["host", "quiet"]
    assert all(row["st_teff"] for row in targets.columns.values())


@pytest.mark.parametrize("text", ["３３４２４６７", "KIC ３３４２４６７", "٣٣٤٢٤٦٧",
                                  "3342467\u0662"])
def test_kic_ids_are_ascii_digits_only(text):
    """Python's int() reads full-width and Arabic-Indic digits; a KIC id is ASCII digits."""
    with pytest.raises(InvalidTargetError, match="is not a KIC id"):
        parse_kic(text)


MALFORMED = {
    # name: (content, the line the error must name)
    "huge-field.csv": (b"target_id,label\n3342467,host\n" + b"1" * 1_000_000 + b",quiet\n", 3),
    "nul.csv": (b"target_id\n3342467\n11904\x0051\n", 3),
    "bad-value.csv": (b"target_id\n# a comment\n3342467\nbanana\n", 4),
    "latin1.txt": (b"3342467\n11904151 # Kepler-10 \xe9toile\n", 2),
    "binary.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1),
    "huge-line.txt": (b"3342467\n" + b"9" * 1_000_000 + b"\n", 2),
    "fullwidth.txt": ("3342467\n１１９０４１５１\n".encode(), 2),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_target_file_is_one_line_naming_the_file_and_the_line(tmp_path, name):
    content, line = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidTargetError) as info:
        resolve_targets(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert "\n" not in message and len(message) < 400


def test_a_folder_or_an_unreadable_name_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidTargetError, match="not a file, a preset"):
        resolve_targets(str(tmp_path))
    with pytest.raises(InvalidTargetError, match="not a file, a preset") as info:
        resolve_targets("x" * 100_000)  # longer than any file name
    assert len(str(info.value)) < 400
