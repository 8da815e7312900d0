"""MAST and lightkurve names, checked against the bundled real files and their headers."""

from __future__ import annotations

import pytest
from astropy.io import fits

from lcfeat.archive import layout
from lcfeat.errors import InvalidTargetError
from lcfeat.targets.ids import check_kic, parse_kic
from tests.conftest import ARCHIVE


def test_nineteen_stamps_cover_quarters_0_to_17_with_two_for_q4():
    assert len(layout.LONG_CADENCE_STAMPS) == 19
    quarters = sorted(layout.LONG_CADENCE_STAMPS.values())
    assert sorted(set(quarters)) == list(range(18))
    assert [q for q in set(quarters) if quarters.count(q) == 2] == [4]
    stamps_of_q4 = {s for s, q in layout.LONG_CADENCE_STAMPS.items() if q == 4}
    assert stamps_of_q4 == {"2010009091648", "2010078095331"}


def test_stamp_hints_agree_with_the_quarter_keyword_of_every_bundled_file():
    """The independent reference is the QUARTER header the archive wrote into each file."""
    files = sorted(ARCHIVE.rglob("kplr*_llc.fits"))
    assert len(files) == 22
    for path in files:
        parsed = layout.parse_llc_name(path.name)
        assert parsed is not None
        with fits.open(path, memmap=False) as hdul:
            assert parsed.quarter_hint == hdul[0].header["QUARTER"], path.name
            assert parsed.kepler_id == hdul[0].header["KEPLERID"]


def test_bundled_files_sit_where_the_mast_layout_says():
    for path in ARCHIVE.rglob("kplr*_llc.fits"):
        parsed = layout.parse_llc_name(path.name)
        relative = path.relative_to(ARCHIVE).parent.as_posix()
        assert relative == str(layout.target_folder(parsed.kepler_id))
        assert layout.llc_filename(parsed.kepler_id, parsed.stamp) == path.name


def test_zero_padding_and_urls():
    assert layout.padded_kic(757076) == "000757076"
    assert str(layout.target_folder(757076)) == "0007/000757076"
    assert str(layout.target_folder(11904151)) == "0119/011904151"
    assert (layout.file_url("https://archive.stsci.edu/pub/kepler/lightcurves", 11904151,
                            "kplr011904151-2012179063303_llc.fits")
            == "https://archive.stsci.edu/pub/kepler/lightcurves/0119/011904151/"
               "kplr011904151-2012179063303_llc.fits")
    assert layout.target_url("http://h/x/", 5) == "http://h/x/0000/000000005/"
    names = layout.candidate_filenames(5)
    assert len(names) == 19 and names[0] == "kplr000000005-2009131105131_llc.fits"


@pytest.mark.parametrize("text, expected", [
    ("11904151", 11904151), (" KIC 11904151 ", 11904151), ("kic11904151", 11904151),
    ("kplr011904151", 11904151), ("KIC-757076", 757076), (3342467, 3342467),
])
def test_parse_kic_accepts_common_spellings(text, expected):
    assert parse_kic(text) == expected


@pytest.mark.parametrize("text", ["", "EPIC 211121743x", "TIC 1", "0", "1234567890", "-5", "12a"])
def test_parse_kic_rejects_what_is_not_a_kic_id(text):
    with pytest.raises(InvalidTargetError):
        parse_kic(text)


def test_check_kic_rejects_bools_floats_and_out_of_range():
    for bad in (True, 1.0, "5", 0, -1, 10**9):
        with pytest.raises(InvalidTargetError):
            check_kic(bad)


def test_listing_parser_keeps_only_this_targets_long_cadence_files():
    html = """<a href="kplr011904151-2012179063303_llc.fits">x</a>
    <a href="/pub/kepler/lightcurves/0119/011904151/kplr011904151-2010009091648_llc.fits">y</a>
    <a href="kplr011904151-2010009091648_slc.fits">short cadence</a>
    <a href="kplr011904152-2012179063303_llc.fits">another star</a>
    <a href="kplr011904151-2012179063303_llc.fits">duplicate</a>"""
    assert layout.names_in_listing(html, 11904151) == [
        "kplr011904151-2010009091648_llc.fits", "kplr011904151-2012179063303_llc.fits"]


def test_lightkurve_folder_names():
    assert layout.lightkurve_folder_kic("kplr011904151_lc_Q111111111111111111") == 11904151
    assert layout.lightkurve_folder_kic("kplr003342467_lc_Q011111111111111111") == 3342467
    assert layout.lightkurve_folder_kic("kplr006922244_lc") == 6922244
    assert layout.lightkurve_folder_kic("kplr011904151_sc_Q000000000001000000") is None
    assert layout.lightkurve_folder_kic("tess2019-s0001") is None


def test_parse_llc_name_rejects_other_products():
    assert layout.parse_llc_name("kplr011904151-2012179063303_slc.fits") is None
    assert layout.parse_llc_name("kplr011904151-2012179063303_llc.fits.gz") is None
    assert layout.parse_llc_name("kplr011904151-2012179063303_lpd-targ.fits") is None
