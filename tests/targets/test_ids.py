"""Target ids of both missions: KIC ids unchanged, TIC ids beside them, never confused."""

from __future__ import annotations

import pytest

from lcfeat.errors import InvalidTargetError
from lcfeat.targets.ids import (
    format_target_id,
    normalise_target_id,
    parse_id,
    parse_kic,
    parse_tic,
    split_target_id,
)
from lcfeat.targets.lists import read_targets


@pytest.mark.parametrize("text", ["261136679", "TIC 261136679", "tic261136679", "TIC-261136679",
                                  "TIC 0000000261136679", 261136679])
def test_parse_tic_forms(text):
    assert parse_tic(text) == 261136679
    assert parse_id(text, "tess") == 261136679


@pytest.mark.parametrize("text", ["0", "TIC", "TIC 12345678901", "KIC x", -4, True])
def test_parse_tic_rejects(text):
    with pytest.raises(InvalidTargetError):
        parse_tic(text)


def test_kic_ids_are_unchanged():
    assert parse_id("KIC 3342467", "kepler") == parse_kic("kplr003342467") == 3342467
    assert format_target_id(3342467) == "KIC 3342467"
    assert normalise_target_id("kic 0003342467") == "KIC 3342467"
    assert normalise_target_id(3342467) == "KIC 3342467"


def test_tic_ids_format_and_normalise():
    assert format_target_id(261136679, "tess") == "TIC 261136679"
    assert normalise_target_id("tic 000261136679") == "TIC 261136679"
    assert split_target_id("TIC 25155310") == (25155310, "tess")
    assert split_target_id("KIC 25155310") == (25155310, "kepler")


def test_an_id_of_the_other_mission_is_never_renumbered():
    with pytest.raises(InvalidTargetError, match="is a TIC id but the targets are Kepler"):
        parse_id("TIC 261136679", "kepler")
    with pytest.raises(InvalidTargetError, match="is a KIC id but the targets are TESS"):
        parse_id("KIC 3342467", "tess")
    with pytest.raises(InvalidTargetError, match="unknown mission"):
        parse_id("5", "k2")


def test_tess_target_lists(tmp_path):
    assert read_targets("261136679, TIC 25155310,261136679", "tess").ids == [261136679, 25155310]
    text = tmp_path / "tics.txt"
    text.write_text("# TESS planet hosts\nTIC 261136679\n307210830\n")
    assert read_targets(str(text), "tess").ids == [261136679, 307210830]
    for column in ("tic_id", "ticid", "TIC", "target_id"):
        table = tmp_path / f"{column}.csv"
        table.write_text(f"{column},label\nTIC 261136679,host\n425933644,quiet\n")
        listed = read_targets(str(table), "tess")
        assert listed.ids == [261136679, 425933644]
        assert listed.labels == {261136679: "host", 425933644: "quiet"}
    with pytest.raises(InvalidTargetError, match="lists Kepler stars"):
        read_targets("bundled-5", "tess")
