"""Target ids: the one place where a target id is parsed, checked and formatted.

A target is an integer and the mission whose catalog numbers it: Kepler stars by their KIC
id, TESS stars by their TIC id. The database's key is ``KIC <integer>`` or ``TIC <integer>``
without zero padding (the deployed table's form for Kepler); MAST pads the integer to nine
digits in Kepler names and to sixteen in TESS names.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lcfeat.errors import InvalidTargetError

#: The missions lcfeat reads, and the catalog that numbers each one's targets.
MISSIONS = ("kepler", "tess")
DEFAULT_MISSION = "kepler"
CATALOGS = {"kepler": "KIC", "tess": "TIC"}
#: How messages name each mission.
MISSION_NAMES = {"kepler": "Kepler", "tess": "TESS"}

#: KIC ids are positive and have at most nine digits (the padded width of MAST's names).
MAX_KIC_ID = 999_999_999
#: TIC ids are positive and have at most ten digits (TIC 8 reaches about 2.2 billion;
#: MAST pads them to sixteen).
MAX_TIC_ID = 9_999_999_999
#: `3342467`, `KIC 3342467`, `kplr003342467`, `KIC_3342467`: an optional prefix, the digits.
#: ASCII digits only: `\d` and `int()` would also take full-width or Arabic-Indic digits.
KIC_PATTERN = re.compile(r"^\s*(?:(?:kic|kplr)[\s_:-]*)?0*([0-9]{1,9})\s*$",
                         re.IGNORECASE | re.ASCII)
#: Longest piece of a bad value quoted back in an error message.
MAX_QUOTED = 40
#: `261136679`, `TIC 261136679`, `TIC-261136679`, `tic0000000261136679`.
TIC_PATTERN = re.compile(r"^\s*(?:tic[\s_:-]*)?0*([0-9]{1,10})\s*$", re.IGNORECASE | re.ASCII)
_PREFIXED = re.compile(r"^\s*(kic|kplr|tic)", re.IGNORECASE)


def check_mission(mission: str) -> str:
    """The mission's canonical name ("kepler", "tess"), else InvalidTargetError."""
    name = str(mission).strip().lower()
    if name not in MISSIONS:
        raise InvalidTargetError(
            f"unknown mission {mission!r}: lcfeat reads {' and '.join(MISSIONS)}")
    return name


def check_kic(kepler_id: int) -> int:
    """The id itself if it is a plausible KIC id, else InvalidTargetError."""
    if isinstance(kepler_id, bool) or not isinstance(kepler_id, int):
        raise InvalidTargetError(f"KIC id must be an integer, got {kepler_id!r}")
    if not 0 < kepler_id <= MAX_KIC_ID:
        raise InvalidTargetError(f"KIC {kepler_id}: not a KIC id (expected 1..{MAX_KIC_ID})")
    return kepler_id


def check_tic(tic_id: int) -> int:
    """The id itself if it is a plausible TIC id, else InvalidTargetError."""
    if isinstance(tic_id, bool) or not isinstance(tic_id, int):
        raise InvalidTargetError(f"TIC id must be an integer, got {tic_id!r}")
    if not 0 < tic_id <= MAX_TIC_ID:
        raise InvalidTargetError(f"TIC {tic_id}: not a TIC id (expected 1..{MAX_TIC_ID})")
    return tic_id


def check_id(number: int, mission: str = DEFAULT_MISSION) -> int:
    """`check_kic` or `check_tic`, by mission."""
    return check_tic(number) if check_mission(mission) == "tess" else check_kic(number)


def parse_kic(text: str | int) -> int:
    """`3342467`, `KIC 3342467`, `kplr003342467` or an int -> 3342467; else an error."""
    return _parse_id(text, KIC_PATTERN, check_kic, "a KIC id (expected e.g. 3342467 or "
                     "'KIC 3342467')")


def _parse_id(text: str | int, pattern: re.Pattern[str], check: Callable[[int], int],
              what: str) -> int:
    """An int checked by `check`, or the number `pattern` finds in the text; else an error
    saying the text is not `what`."""
    if isinstance(text, int) and not isinstance(text, bool):
        return check(text)
    match = pattern.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise InvalidTargetError(f"{quoted(text)} is not {what}")
    return int(match.group(1))


def quoted(value: object) -> str:
    """`repr(value)`, cut to MAX_QUOTED characters: a 1 MB field stays out of the message."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTED else f"{text[:MAX_QUOTED - 5]}...{text[-1]} " \
        f"({len(str(value))} characters)"


def parse_tic(text: str | int) -> int:
    """`261136679`, `TIC 261136679` or an int -> 261136679; else an error."""
    return _parse_id(text, TIC_PATTERN, check_tic, "a TIC id (expected e.g. 261136679 or "
                     "'TIC 261136679')")


def parse_id(text: str | int, mission: str = DEFAULT_MISSION) -> int:
    """A target id of `mission`: `parse_kic` or `parse_tic`. An id carrying the other
    mission's prefix ('TIC 5' in a Kepler run) is an error, never a silent renumbering."""
    mission = check_mission(mission)
    prefix = _PREFIXED.match(text) if isinstance(text, str) else None
    if prefix:
        named = "tess" if prefix.group(1).lower() == "tic" else "kepler"
        if named != mission:
            raise InvalidTargetError(
                f"{text.strip()!r} is a {CATALOGS[named]} id but the targets are "
                f"{MISSION_NAMES[mission]} stars ({CATALOGS[mission]} ids; choose the "
                "mission with --mission)")
    return parse_tic(text) if mission == "tess" else parse_kic(text)


def looks_like_kic(text: str) -> bool:
    """True when `text` has the form of a KIC id (used to tell ids from file names)."""
    return KIC_PATTERN.match(text) is not None


def looks_like_id(text: str, mission: str = DEFAULT_MISSION) -> bool:
    """True when `text` has the form of a target id of `mission`."""
    pattern = TIC_PATTERN if check_mission(mission) == "tess" else KIC_PATTERN
    return pattern.match(text) is not None


def format_target_id(number: int, mission: str = DEFAULT_MISSION) -> str:
    """`KIC <integer>` or `TIC <integer>` without zero padding, as the database stores it."""
    return f"{CATALOGS[check_mission(mission)]} {int(number)}"


def split_target_id(value: object) -> tuple[int, str]:
    """'KIC 000123' -> (123, 'kepler'), 'TIC 42' -> (42, 'tess'); a bare number is a KIC id
    (the deployed table's only kind)."""
    text = str(value)
    if isinstance(value, str) and text.strip().lower().startswith("tic"):
        return parse_tic(text), "tess"
    return parse_kic(value if isinstance(value, int) else text), "kepler"


def normalise_target_id(value: object) -> str:
    """'KIC 000123', 'kic123', 123 -> 'KIC 123'; 'tic 0042' -> 'TIC 42' (the database's form)."""
    number, mission = split_target_id(value)
    return format_target_id(number, mission)
