"""FITS ones-complement checksums computed over the raw bytes of each HDU.

The FITS standard (version 4.0, section 4.4.2.7 and appendix J) defines CHECKSUM so that the
32-bit ones-complement sum of an HDU's bytes (header, data and padding, read as big-endian
unsigned integers) is -0, i.e. 0xFFFFFFFF; DATASUM, when present, is the sum of the data
part alone. Archive Kepler files carry CHECKSUM in every HDU but no DATASUM, and astropy then
checks the header alone (taking the data sum as zero) and reports intact files as corrupt. So
the sums here are taken over the raw bytes, with HDU boundaries found from the headers'
BITPIX/NAXISn/PCOUNT/GCOUNT, independently of any FITS reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

BLOCK_BYTES = 2880
CARD_BYTES = 80
#: A ones-complement sum of an HDU whose CHECKSUM is right is "negative zero".
NEGATIVE_ZERO = 0xFFFFFFFF
# Sum at most 2**28 words (1 GiB) at a time so that a uint64 accumulator never overflows.
_WORDS_PER_CHUNK = 1 << 28


class FitsStructureError(ValueError):
    """Bytes that do not split into complete FITS HDUs."""


@dataclass(frozen=True)
class HduSpan:
    """Where one HDU lies in a file: header ``[start, data_start)``, data ``[data_start, end)``.

    ``end`` includes the padding to a whole number of 2880-byte blocks.
    """

    index: int
    start: int
    data_start: int
    end: int
    checksum: str | None
    datasum: str | None


def ones_complement_sum(raw: bytes | bytearray | memoryview, start: int = 0,
                        stop: int | None = None, initial: int = 0) -> int:
    """32-bit ones-complement sum of big-endian words in ``raw[start:stop]``.

    The length must be a multiple of 4 (FITS blocks always are). ``initial`` continues a sum.
    """
    stop = len(raw) if stop is None else stop
    if (stop - start) % 4:
        raise ValueError(f"byte range {start}:{stop} is not a whole number of 32-bit words")
    total = initial
    n_words = (stop - start) // 4
    for first in range(0, n_words, _WORDS_PER_CHUNK):
        count = min(_WORDS_PER_CHUNK, n_words - first)
        words = np.frombuffer(raw, dtype=">u4", count=count, offset=start + 4 * first)
        total += int(words.sum(dtype=np.uint64))
    # End-around carry: fold everything above bit 31 back into the low word.
    while total >> 32:
        total = (total & 0xFFFFFFFF) + (total >> 32)
    return total


def _card_value(card: str) -> str | None:
    """The value text of a ``KEY     = value / comment`` card, quotes removed for strings."""
    if card[8:10] != "= ":
        return None
    text = card[10:].strip()
    if text.startswith("'"):
        # A quote inside a string is written as two quotes.
        end = 1
        while True:
            end = text.find("'", end)
            if end < 0:
                return text[1:].rstrip()
            if text[end + 1 : end + 2] == "'":
                end += 2
                continue
            return text[1:end].replace("''", "'").rstrip()
    return text.split("/", 1)[0].strip()


def _read_header(raw: bytes | memoryview, start: int, index: int) -> tuple[dict[str, str], int]:
    """Cards of the header beginning at ``start`` (first value per keyword) and its end offset."""
    cards: dict[str, str] = {}
    offset = start
    size = len(raw)
    while True:
        if offset + BLOCK_BYTES > size:
            raise FitsStructureError(
                f"file ends at byte {size} inside the header of HDU {index} (no END card)"
            )
        block = bytes(raw[offset : offset + BLOCK_BYTES]).decode("latin-1")
        offset += BLOCK_BYTES
        for position in range(0, BLOCK_BYTES, CARD_BYTES):
            card = block[position : position + CARD_BYTES]
            keyword = card[:8].rstrip()
            if keyword == "END":
                return cards, offset
            value = _card_value(card)
            if keyword and value is not None and keyword not in cards:
                cards[keyword] = value


def _int_card(cards: dict[str, str], keyword: str, index: int, default: int | None = None) -> int:
    text = cards.get(keyword)
    if text is None:
        if default is None:
            raise FitsStructureError(f"HDU {index} header lacks the required {keyword} keyword")
        return default
    try:
        return int(text)
    except ValueError:
        raise FitsStructureError(f"HDU {index}: {keyword} = {text!r} is not an integer") from None


def _data_bytes(cards: dict[str, str], index: int) -> int:
    """Size of the data part before padding, from the mandatory keywords (FITS 4.0 eq. 1-2)."""
    bitpix = _int_card(cards, "BITPIX", index)
    naxis = _int_card(cards, "NAXIS", index)
    if bitpix not in (8, 16, 32, 64, -32, -64):
        raise FitsStructureError(f"HDU {index}: BITPIX = {bitpix} is not a FITS value")
    if not 0 <= naxis <= 999:
        raise FitsStructureError(f"HDU {index}: NAXIS = {naxis} is out of range")
    if naxis == 0:
        return 0
    axes = [_int_card(cards, f"NAXIS{i}", index) for i in range(1, naxis + 1)]
    if any(length < 0 for length in axes):
        raise FitsStructureError(f"HDU {index}: negative axis length {axes}")
    random_groups = cards.get("GROUPS", "").upper() == "T" and axes[0] == 0
    n_values = prod(axes[1:]) if random_groups else prod(axes)
    pcount = _int_card(cards, "PCOUNT", index, default=0)
    gcount = _int_card(cards, "GCOUNT", index, default=1)
    return abs(bitpix) // 8 * gcount * (pcount + n_values)


def hdu_spans(raw: bytes | bytearray | memoryview) -> list[HduSpan]:
    """Every HDU's byte range; FitsStructureError if the bytes are not whole FITS HDUs.

    Bytes after the last HDU that do not start a new extension are an error too: a Kepler
    file never has them, and they mean a damaged or concatenated download.
    """
    size = len(raw)
    if size == 0:
        raise FitsStructureError("file is empty")
    spans: list[HduSpan] = []
    start = 0
    while start < size:
        index = len(spans)
        first_keyword = bytes(raw[start : start + 8]).decode("latin-1").rstrip()
        expected = "SIMPLE" if index == 0 else "XTENSION"
        if first_keyword != expected:
            if index == 0:
                raise FitsStructureError("not a FITS file (does not start with SIMPLE)")
            raise FitsStructureError(
                f"{size - start} unexpected bytes after the last HDU (HDU {index - 1} ends at "
                f"byte {start})"
            )
        cards, data_start = _read_header(raw, start, index)
        data_size = _data_bytes(cards, index)
        padded = -(-data_size // BLOCK_BYTES) * BLOCK_BYTES
        end = data_start + padded
        if end > size:
            raise FitsStructureError(
                f"file ends at byte {size} inside the data of HDU {index}, which needs "
                f"{end} bytes (truncated)"
            )
        spans.append(
            HduSpan(index, start, data_start, end, cards.get("CHECKSUM"), cards.get("DATASUM"))
        )
        start = end
    return spans


def checksum_problems(raw: bytes | bytearray | memoryview,
                      spans: list[HduSpan] | None = None) -> list[str]:
    """Why the CHECKSUM/DATASUM keywords of ``raw`` do not verify (empty list when they do).

    A file without any CHECKSUM is not checked (there is nothing to check against); in a file
    whose other HDUs carry one, an HDU without it is a problem: one flipped bit in the
    keyword's name ("BHECKSUM") would otherwise leave its whole header unchecked.
    """
    spans = hdu_spans(raw) if spans is None else spans
    problems: list[str] = []
    any_checksum = any(span.checksum is not None for span in spans)
    for span in spans:
        if span.datasum not in (None, ""):
            data_sum = ones_complement_sum(raw, span.data_start, span.end)
            try:
                declared = int(span.datasum)
            except ValueError:
                problems.append(f"HDU {span.index}: DATASUM {span.datasum!r} is not a number")
            else:
                if declared != data_sum:
                    problems.append(
                        f"HDU {span.index}: data sum {data_sum} differs from DATASUM {declared}"
                    )
        if span.checksum is not None:
            total = ones_complement_sum(raw, span.start, span.end)
            if total != NEGATIVE_ZERO:
                problems.append(
                    f"HDU {span.index}: CHECKSUM fails (ones-complement sum 0x{total:08X}, "
                    "expected 0xFFFFFFFF)"
                )
        elif any_checksum:
            problems.append(f"HDU {span.index}: no CHECKSUM keyword, where the file's other "
                            "HDUs have one")
    return problems
