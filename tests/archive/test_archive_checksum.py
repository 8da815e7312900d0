"""Raw-byte FITS checksums, held against a brute-force sum, astropy's own sum and boundaries.

References: a pure-Python ones-complement sum written from the FITS standard's definition
(appendix J), astropy's `_compute_checksum` and its HDU offsets, and files astropy writes with
CHECKSUM and DATASUM. Archive Kepler files carry CHECKSUM without DATASUM (SOURCES.md): their
raw-byte sums must be -0 in every HDU.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st

from lcfeat.archive.checksum import (
    NEGATIVE_ZERO,
    FitsStructureError,
    checksum_problems,
    hdu_spans,
    ones_complement_sum,
)
from tests.conftest import ARCHIVE, TEST_DATA

ARCHIVE_FILES = sorted(ARCHIVE.rglob("kplr*_llc.fits"))


def slow_ones_complement_sum(data: bytes) -> int:
    """The standard's definition, word by word with an end-around carry at every step."""
    total = 0
    for (word,) in struct.iter_unpack(">I", data):
        total += word
        if total > 0xFFFFFFFF:
            total = (total & 0xFFFFFFFF) + 1
    return total


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=4096).map(lambda b: b[: len(b) - len(b) % 4]))
def test_fast_sum_equals_brute_force(data):
    assert ones_complement_sum(data) == slow_ones_complement_sum(data)


def test_fast_sum_handles_all_ones_and_carries():
    data = b"\xff" * 4 * 1000
    assert ones_complement_sum(data) == slow_ones_complement_sum(data) == NEGATIVE_ZERO
    assert ones_complement_sum(b"\x80\x00\x00\x00" * 2) == 1  # carry wraps around


def test_sum_rejects_partial_words():
    with pytest.raises(ValueError, match="32-bit words"):
        ones_complement_sum(b"abc")


@pytest.mark.parametrize("path", ARCHIVE_FILES, ids=lambda p: p.name)
def test_every_hdu_of_every_archive_file_sums_to_negative_zero(path):
    raw = path.read_bytes()
    spans = hdu_spans(raw)
    assert len(spans) == 3 and spans[-1].end == len(raw)
    for span in spans:
        assert span.checksum is not None and span.datasum is None  # as SOURCES.md reports
        assert slow_ones_complement_sum(raw[span.start:span.end]) == NEGATIVE_ZERO
    assert checksum_problems(raw) == []


def test_hdu_boundaries_match_astropys():
    for path in ARCHIVE_FILES[:5] + [TEST_DATA / "ktwo211121743-c04_llc.fits"]:
        raw = path.read_bytes()
        with fits.open(path, memmap=False) as hdul:
            expected = []
            for hdu in hdul:
                info = hdu.fileinfo()
                padded = -(-info["datSpan"] // 2880) * 2880 if info["datSpan"] else 0
                expected.append((info["hdrLoc"], info["datLoc"], info["datLoc"] + padded))
        assert [(s.start, s.data_start, s.end) for s in hdu_spans(raw)] == expected


def test_sums_equal_astropys_compute_checksum():
    compute = fits.PrimaryHDU()._compute_checksum
    raw = ARCHIVE_FILES[0].read_bytes()
    for span in hdu_spans(raw):
        piece = np.frombuffer(raw[span.start:span.end], dtype=np.uint8)
        assert ones_complement_sum(raw, span.start, span.end) == int(compute(piece))


def _astropy_written_file(rows: int = 300) -> bytes:
    rng = np.random.default_rng(7)
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", array=np.arange(rows) * 0.0204),
        fits.Column("FLUX", "E", array=rng.normal(1, 1e-3, rows).astype(np.float32)),
    ], name="LIGHTCURVE")
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(buffer, checksum=True)
    return buffer.getvalue()


def test_files_astropy_writes_with_checksum_and_datasum_verify():
    raw = _astropy_written_file()
    spans = hdu_spans(raw)
    assert all(s.checksum and s.datasum is not None for s in spans)
    assert checksum_problems(raw) == []
    # Our data sum of the table is exactly the DATASUM astropy wrote.
    table = spans[1]
    assert ones_complement_sum(raw, table.data_start, table.end) == int(table.datasum)


def test_a_wrong_datasum_is_reported_even_if_checksum_is_consistent():
    raw = bytearray(_astropy_written_file())
    table = hdu_spans(bytes(raw))[1]
    # Change one data byte and compensate in another word: CHECKSUM still sums to -0 only if
    # the compensation is exact, so instead edit DATASUM's text directly (a header change).
    header = bytes(raw[table.start:table.data_start]).decode("latin-1")
    position = header.index("DATASUM")
    card = header[position:position + 80]
    changed = card.replace(f"'{table.datasum}'", f"'{int(table.datasum) + 1}'".ljust(
        len(table.datasum) + 2))
    raw[table.start + position:table.start + position + 80] = changed.encode("latin-1")
    problems = checksum_problems(bytes(raw))
    assert any("DATASUM" in p for p in problems)
    assert any("HDU 1: CHECKSUM fails" in p for p in problems)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_single_flipped_bit_is_caught(position, bit):
    raw = bytearray(ARCHIVE_FILES[0].read_bytes())
    position %= len(raw)
    raw[position] ^= 1 << bit
    try:
        problems = checksum_problems(bytes(raw))
    except FitsStructureError:
        return  # a flip in a structural keyword breaks the layout itself: also caught
    assert problems, f"flip at byte {position} bit {bit} went unnoticed"


def test_third_party_modified_files_fail():
    """SOURCES.md: the kepcotrend and dip_llc rewrites no longer verify."""
    for name in ("kplr005110407-2009350155506_llc-kepcotrend.fits", "dip_llc.fits"):
        problems = checksum_problems((TEST_DATA / name).read_bytes())
        assert any("CHECKSUM fails" in p for p in problems), name


@pytest.mark.parametrize("name, message", [
    ("test-tpf-kplr-tabby-corrupted.fits", "inside the data of HDU 1"),
    ("test-lc-tess-pimen-corrupted.fits", "inside the data of HDU 1"),
    ("test-tpf-kplr-tabby-corrupted-at-header.fits", "inside the header of HDU 1"),
    ("test-tpf-kplr-tabby-corrupted-at-header2.fits", "inside the header of HDU 0"),
])
def test_truncated_fixtures_are_structurally_broken(name, message):
    with pytest.raises(FitsStructureError, match=message):
        hdu_spans((TEST_DATA / "corrupted" / name).read_bytes())


@pytest.mark.parametrize("cut", [1, 2879, 2880, 100_000, -2880, -1])
def test_any_truncation_of_a_real_file_is_caught(cut):
    raw = ARCHIVE_FILES[0].read_bytes()
    with pytest.raises(FitsStructureError):
        hdu_spans(raw[:cut] if cut > 0 else raw[:cut])


def test_extra_bytes_after_the_last_hdu_are_caught():
    raw = ARCHIVE_FILES[0].read_bytes()
    with pytest.raises(FitsStructureError, match="unexpected bytes"):
        hdu_spans(raw + b"\0" * 2880)
    with pytest.raises(FitsStructureError, match="no END card"):
        hdu_spans(raw + raw[:2880].replace(b"SIMPLE  ", b"XTENSION"))


def test_non_fits_and_empty_input():
    with pytest.raises(FitsStructureError, match="empty"):
        hdu_spans(b"")
    with pytest.raises(FitsStructureError, match="not a FITS file"):
        hdu_spans(b"<html>Service Unavailable</html>".ljust(2880))


def test_a_flip_in_the_checksum_keyword_name_is_caught():
    """A flipped bit in the name of an HDU's CHECKSUM keyword ("CHECKSUM" -> "BHECKSUM",
    found by the property test above at byte 17,840 of KOI-3278's first quarter) once left
    that HDU unchecked: no CHECKSUM, nothing to check. Its siblings carry one, so its
    absence is reported."""
    raw = bytearray(ARCHIVE_FILES[0].read_bytes())
    table = hdu_spans(bytes(raw))[1]
    header = bytes(raw[table.start:table.data_start]).decode("latin-1")
    position = table.start + header.index("CHECKSUM=")
    raw[position] ^= 1
    problems = checksum_problems(bytes(raw))
    assert any("no CHECKSUM keyword" in p for p in problems), problems
