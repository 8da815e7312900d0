"""KIC ids: the one place where a target id is parsed, checked and formatted.

The database's key is ``KIC <integer>`` without zero padding (the deployed table's form);
MAST pads the integer to nine digits in its folder and file names.
"""

from __future__ import annotations

import re

from lcfeat.errors import InvalidTargetError

#: KIC ids are positive and have at most nine digits (the padded width of MAST's names).
MAX_KIC_ID = 999_999_999
#: `3342467`, `KIC 3342467`, `kplr003342467`, `KIC_3342467`: an optional prefix, the digits.
#: ASCII digits only: `\d` and `int()` would also take full-width or Arabic-Indic digits.
KIC_PATTERN = re.compile(r"^\s*(?:(?:kic|kplr)[\s_:-]*)?0*([0-9]{1,9})\s*$",
                         re.IGNORECASE | re.ASCII)
#: Longest piece of a bad value quoted back in an error message.
MAX_QUOTED = 40


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
    match = KIC_PATTERN.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise InvalidTargetError(
            f"{quoted(text)} is not a KIC id (expected e.g. 3342467 or 'KIC 3342467')"
        )
    return int(match.group(1))


def quoted(value: object) -> str:
    """`repr(value)`, cut to MAX_QUOTED characters: a 1 MB field stays out of the message."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTED else f"{text[:MAX_QUOTED - 5]}...{text[-1]} " \
        f"({len(str(value))} characters)"


def looks_like_kic(text: str) -> bool:
    """True when `text` has the form of a KIC id (used to tell ids from file names)."""
    return KIC_PATTERN.match(text) is not None


def format_target_id(kepler_id: int) -> str:
    """`KIC <integer>` without zero padding, as the deployed database stores it."""
    return f"KIC {int(kepler_id)}"


def normalise_target_id(value: object) -> str:
    """'KIC 000123', 'kic123', 123 -> 'KIC 123' (the database's form)."""
    return format_target_id(parse_kic(value if isinstance(value, int) else str(value)))
