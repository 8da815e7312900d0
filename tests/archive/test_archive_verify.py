"""verify_file on real good, wrong and damaged files; astropy's headers are the reference."""

from __future__ import annotations

import io
import mmap
import shutil

import pytest
from astropy.io import fits

from lcfeat.archive import verify_file
from lcfeat.archive.verify import verify_bytes
from tests.conftest import ARCHIVE, TEST_DATA

ARCHIVE_FILES = sorted(ARCHIVE.rglob("kplr*_llc.fits"))
KEPLER_10 = ARCHIVE / "0119" / "011904151" / "kplr011904151-2012179063303_llc.fits"


@pytest.mark.parametrize("path", ARCHIVE_FILES, ids=lambda p: p.name)
def test_every_bundled_archive_file_verifies_with_the_header_quarter(path):
    with fits.open(path, memmap=False) as hdul:
        kepler_id, quarter = hdul[0].header["KEPLERID"], hdul[0].header["QUARTER"]
    verdict = verify_file(path, expected_kepler_id=kepler_id, expected_size=path.stat().st_size)
    assert verdict.ok, verdict.reason
    assert (verdict.kepler_id, verdict.quarter, verdict.size) == (kepler_id, quarter,
                                                                   path.stat().st_size)
    assert bool(verdict) is True and verdict.reason == "ok"


def test_wrong_star_and_wrong_size_are_reported():
    wrong_star = verify_file(KEPLER_10, expected_kepler_id=3342467)
    assert not wrong_star.ok and "KEPLERID is 11904151, expected 3342467" in wrong_star.reason
    wrong_size = verify_file(KEPLER_10, expected_size=KEPLER_10.stat().st_size + 1)
    assert not wrong_size.ok and "expected 472321" in wrong_size.reason


@pytest.mark.parametrize("name, fragment", [
    ("ktwo211121743-c04_llc.fits", "MISSION = 'K2'"),
    ("test-lc-tess-pimen-100-cadences.fits", "TELESCOP = 'TESS'"),
    ("kplr000757076-2009166043257_llc.fits", "no integer QUARTER"),
    ("kplr005110407-2009350155506_llc-kepcotrend.fits", "CHECKSUM fails"),
    ("dip_llc.fits", "CHECKSUM fails"),
    ("corrupted/test-tpf-kplr-tabby-corrupted.fits", "truncated"),
    ("corrupted/test-lc-tess-pimen-corrupted.fits", "truncated"),
    ("corrupted/test-tpf-kplr-tabby-corrupted-at-header.fits", "no END card"),
    ("corrupted/test-tpf-kplr-tabby-corrupted-at-header2.fits", "no END card"),
])
def test_files_that_are_not_intact_kepler_long_cadence_light_curves_fail(name, fragment):
    verdict = verify_file(TEST_DATA / name)
    assert not verdict.ok
    assert fragment in verdict.reason


def test_short_cadence_and_target_pixel_headers_are_rejected():
    """Edit headers of a real file and re-sign its checksums, so only the header check fails."""
    with fits.open(KEPLER_10, memmap=False) as hdul:
        hdul[0].header["OBSMODE"] = "short cadence"
        short = _write(hdul)
    assert "not a long-cadence file" in verify_bytes(short).reason
    with fits.open(KEPLER_10, memmap=False) as hdul:
        hdul[1].header["EXTNAME"] = "TARGETTABLES"
        pixels = _write(hdul)
    assert verify_bytes(pixels).reason == "no LIGHTCURVE table"
    with fits.open(KEPLER_10, memmap=False) as hdul:
        hdul[1].columns.change_name("TIME", "BARYTIME")
        no_time = _write(hdul)
    assert "no TIME column" in verify_bytes(no_time).reason


def _write(hdul: fits.HDUList) -> bytes:
    buffer = io.BytesIO()
    hdul.writeto(buffer, checksum=True)
    return buffer.getvalue()


def test_a_flipped_byte_in_the_table_data_is_caught():
    raw = bytearray(KEPLER_10.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    verdict = verify_bytes(bytes(raw), 11904151)
    assert not verdict.ok and "HDU 1: CHECKSUM fails" in verdict.reason
    # astropy reads the damaged file without complaint: only the checksum tells.
    with fits.open(io.BytesIO(bytes(raw)), memmap=False) as hdul:
        assert len(hdul["LIGHTCURVE"].data) == 4421


def test_unreadable_path_is_a_result_not_an_exception(tmp_path):
    verdict = verify_file(tmp_path / "missing_llc.fits")
    assert not verdict.ok and verdict.reason.startswith("cannot read")


def test_verification_never_memory_maps(monkeypatch, tmp_path):
    """With mmap made to fail, verification still works: it never maps the file."""
    def refuse(*args, **kwargs):
        raise AssertionError("mmap was called")

    monkeypatch.setattr(mmap, "mmap", refuse)
    copy = tmp_path / KEPLER_10.name
    shutil.copyfile(KEPLER_10, copy)
    assert verify_file(copy, 11904151).ok
