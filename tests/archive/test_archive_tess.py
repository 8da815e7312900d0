"""TESS light curves through the archive: MAST's two trees over HTTP (a real server on
127.0.0.1 serving the bundled real files in MAST's layout), a local mirror in lcfeat's or
MAST's layout, and a lightkurve cache; verified and cached as Kepler files are."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lcfeat.archive import (
    Cache,
    TessHttpArchive,
    TessLightkurveCache,
    TessMirror,
    open_archive,
    tess_layout,
)
from lcfeat.archive.cache import QUARANTINE_DIR, default_cache_dir
from tests.archive.archive_fault_server import FaultServer
from tests.archive.conftest import FAST
from tests.conftest import (
    F_STAR,
    L_98_59,
    M_DWARF,
    PI_MEN,
    TESS_ARCHIVE,
    TESS_STARS,
    WASP_126,
    sector_files,
)

#: MAST's own URLs of two of the bundled files (as the archive and its users cite them).
MAST_SPOC_URL = ("https://archive.stsci.edu/missions/tess/tid/s0001/0000/0000/2515/5310/"
                 "tess2018206045859-s0001-0000000025155310-0120-s_lc.fits")
MAST_FFI_URL = ("https://archive.stsci.edu/hlsps/tess-spoc/s0048/target/0000/0002/9866/3873/"
                "hlsp_tess-spoc_tess_phot_0000000298663873-s0048_tess_v1_lc.fits")


def mast_tree(root: Path, stars: tuple[int, ...] = TESS_STARS, ffi: bool = True,
              spoc: bool = True) -> Path:
    """The bundled files of `stars` laid out below `root` as below https://archive.stsci.edu/
    (the data-alerts releases of WASP-126 and L 98-59 stand in their sector's 2-minute
    folder, where MAST keeps the later release of the same light curve)."""
    for tic in stars:
        for path in sector_files(tic):
            name = tess_layout.parse_tess_name(path.name)
            assert name is not None
            if (name.product == tess_layout.FFI and not ffi) or (
                    name.product != tess_layout.FFI and not spoc):
                continue
            target = root / tess_layout.folder_of(name) / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return root


@pytest.fixture
def tess_server(tmp_path) -> Iterator[FaultServer]:
    with FaultServer(mast_tree(tmp_path / "mast")) as running:
        yield running


def http_archive(server: FaultServer, cache_root: Path) -> TessHttpArchive:
    return TessHttpArchive(server.url, Cache(cache_root, mission="tess"), FAST)


def assert_cache_holds_the_originals(cache_root: Path) -> None:
    for path in cache_root.rglob("*.fits"):
        if QUARANTINE_DIR in path.parts:
            continue
        tic = int("".join(path.parent.relative_to(cache_root).parts))
        original = next(p for p in sector_files(tic) if p.name == path.name)
        assert path.read_bytes() == original.read_bytes()
    assert not [p for p in cache_root.rglob("*") if p.name.endswith(".part")]


# -- names and places -----------------------------------------------------------------------

def test_mast_urls_are_rebuilt_from_the_names():
    for url in (MAST_SPOC_URL, MAST_FFI_URL):
        filename = url.rsplit("/", 1)[1]
        name = tess_layout.parse_tess_name(filename)
        assert name is not None
        assert tess_layout.MAST_URL + tess_layout.folder_of(name) + filename == url
    assert str(tess_layout.tic_folder(PI_MEN)) == "0000/0002/6113/6679"
    assert tess_layout.parse_tess_name("kplr011904151-2012179063303_llc.fits") is None


def test_listings_give_sectors_and_the_stars_files():
    listing = ('<a href="s0001/">s0001/</a> <a href="s0027/">s0027/</a> <a href="../">up</a>'
               '<a href="tess2018206045859-s0001-0000000261136679-0120-s_lc.fits">x</a>'
               '<a href="tess2018206045859-s0001-0000000261136670-0120-s_lc.fits">y</a>')
    assert tess_layout.sectors_in_listing(listing) == [1, 27]
    assert tess_layout.names_in_listing(listing, PI_MEN) == [
        "tess2018206045859-s0001-0000000261136679-0120-s_lc.fits"]


# -- MAST over HTTP -------------------------------------------------------------------------

def test_http_finds_each_stars_sectors_verifies_and_caches(tess_server, tmp_path):
    cache_root = tmp_path / "cache"
    archive = http_archive(tess_server, cache_root)
    results = {r.kepler_id: r for r in archive.iter_fetch(list(TESS_STARS), concurrency=3)}
    assert all(result.ok for result in results.values()), [r.error for r in results.values()]
    assert results[L_98_59].quarters == [2]
    assert results[WASP_126].quarters == [1]
    # pi Men's sector 1 has a 2-minute light curve: its TESS-SPOC folder is never asked
    assert [p.name for p in results[PI_MEN].paths] == [
        "tess2018206045859-s0001-0000000261136679-0120-s_lc.fits"]
    assert not any("hlsps/tess-spoc/s0001/target/0000/0002/6113/6679" in r.path
                   for r in tess_server.requests)
    # each tree's sector list is read once for the whole run
    assert len(tess_server.requests_for("missions/tess/tid/")) == 1
    assert len(tess_server.requests_for("hlsps/tess-spoc/")) == 1
    assert all(p.is_relative_to(cache_root / "0000") for r in results.values() for p in r.paths)
    assert_cache_holds_the_originals(cache_root)

    # a second run answers from the cache's manifests, without the network
    before = len(tess_server.requests)
    again = http_archive(tess_server, cache_root).fetch_one(PI_MEN)
    assert again.ok and again.from_disk == 1 and again.downloaded_bytes == 0
    assert len(tess_server.requests) == before


def test_a_star_with_full_frame_image_light_curves_only(tmp_path):
    root = mast_tree(tmp_path / "mast", (F_STAR,))  # sector 1 has 2-minute stars, not pi Men
    mast_tree(root, (PI_MEN,), spoc=False)
    with FaultServer(root) as server:
        result = http_archive(server, tmp_path / "cache").fetch_one(PI_MEN)
    assert result.ok, result.error
    assert [p.name for p in result.paths] == [
        "hlsp_tess-spoc_tess_phot_0000000261136679-s0001_tess_v1_lc.fits"]


def test_an_unknown_star_is_a_clear_error(tess_server, tmp_path):
    result = http_archive(tess_server, tmp_path / "cache").fetch_one(12345)
    assert result.error is not None
    assert result.error.startswith("TIC 12345: no TESS SPOC light curves in the archive")
    assert "2 2-minute and 1 TESS-SPOC sectors" in result.error


def test_a_damaged_download_is_fetched_again_and_never_cached(tess_server, tmp_path):
    path = tess_layout.spoc_folder(1, M_DWARF) + sector_files(M_DWARF)[0].name
    tess_server.inject(path, "flip", "truncate")
    cache_root = tmp_path / "cache"
    result = http_archive(tess_server, cache_root).fetch_one(M_DWARF)
    assert result.ok, result.error
    assert [r.action for r in tess_server.requests_for(path)] == ["flip", "truncate", "serve"]
    assert_cache_holds_the_originals(cache_root)


def test_kepler_ids_are_not_tess_ids(tess_server, tmp_path):
    result = http_archive(tess_server, tmp_path / "cache").fetch_one(0)
    assert result.error is not None and result.error.startswith("TIC 0:")
    with pytest.raises(ValueError, match="TESS cache"):
        TessHttpArchive(tess_server.url, Cache(tmp_path / "kepler-cache"), FAST)


# -- local folders --------------------------------------------------------------------------

def test_mirror_in_lcfeats_layout_and_in_mast_layout_give_the_same_files(tmp_path):
    lcfeat_layout = open_archive(TESS_ARCHIVE, mission="tess")
    mast_layout = open_archive(mast_tree(tmp_path / "mast"), mission="tess")
    assert isinstance(lcfeat_layout, TessMirror) and isinstance(mast_layout, TessMirror)
    for tic in TESS_STARS:
        ours, theirs = lcfeat_layout.fetch_one(tic), mast_layout.fetch_one(tic)
        assert ours.ok and theirs.ok
        assert sorted(p.name for p in ours.paths) == sorted(p.name for p in theirs.paths) == \
            sorted(p.name for p in sector_files(tic))


def test_a_damaged_file_in_a_mirror_fails_its_star_only(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(TESS_ARCHIVE, mirror)
    damaged = next((mirror / str(tess_layout.tic_folder(WASP_126))).glob("*.fits"))
    damaged.write_bytes(damaged.read_bytes()[:500_000])
    results = {r.kepler_id: r for r in open_archive(mirror, mission="tess").iter_fetch(
        [WASP_126, L_98_59])}
    assert results[L_98_59].ok
    assert "1 of 1 files failed verification" in results[WASP_126].error
    assert damaged.exists()  # a user's folder: reported, never moved


def test_lightkurve_cache(tmp_path):
    download = tmp_path / "lk" / "mastDownload"
    for path in sector_files(PI_MEN):
        if path.name.startswith("tess"):
            folder = download / "TESS" / path.name.removesuffix("_lc.fits")
        else:
            folder = download / "HLSP" / path.name.replace("_lc.fits", "_tp")
        folder.mkdir(parents=True)
        shutil.copy(path, folder / path.name)
    archive = open_archive(tmp_path / "lk", mission="tess")
    assert isinstance(archive, TessLightkurveCache)
    result = archive.fetch_one(PI_MEN)
    assert result.ok and sorted(p.name for p in result.paths) == sorted(
        p.name for p in sector_files(PI_MEN))
    assert archive.fetch_one(WASP_126).error.startswith("TIC 25155310: no TESS SPOC")


def test_open_archive_for_tess(tmp_path):
    mast = open_archive("mast", cache_dir=tmp_path / "c", mission="tess")
    assert isinstance(mast, TessHttpArchive) and mast.base_url == tess_layout.MAST_URL
    assert mast.cache.mission == "tess" and mast.cache.root == tmp_path / "c"
    assert default_cache_dir("tess").parts[-2:] == ("tess", "lightcurves")
    # a Kepler archive of the same folder finds no Kepler star in it
    kepler = open_archive(TESS_ARCHIVE)
    assert not kepler.fetch_one(PI_MEN).ok


def test_cache_layout_of_tess_stars(tmp_path):
    cache = Cache(tmp_path, mission="tess")
    source = sector_files(WASP_126)[0]
    assert cache.store(WASP_126, source.name, source.read_bytes()).ok
    assert cache.target_dir(WASP_126) == tmp_path / "0000" / "0000" / "2515" / "5310"
    assert cache.cached_names(WASP_126) == [source.name]
    wrong = cache.store(L_98_59, source.name, source.read_bytes())
    assert not wrong.ok and "TICID is 25155310, expected 307210830" in wrong.reason
    kepler_cache = Cache(tmp_path / "k")
    assert not kepler_cache.store(WASP_126, source.name, source.read_bytes()).ok


def test_settings_are_kept(tess_server, tmp_path):
    slow = dataclasses.replace(FAST, concurrency=1)
    archive = TessHttpArchive(tess_server.url, Cache(tmp_path, mission="tess"), slow)
    assert archive.fetch_one(F_STAR).ok
    assert tess_server.max_active == 1


def test_cache_verify_repairs_a_tess_cache(tess_server, tmp_path, capsys):
    from lcfeat.archive import verify_cache
    from lcfeat.cli import main

    cache_root = tmp_path / "cache"
    assert http_archive(tess_server, cache_root).fetch_one(WASP_126).ok
    cached = next((cache_root / str(tess_layout.tic_folder(WASP_126))).glob("*.fits"))
    damaged = bytearray(cached.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    cached.write_bytes(bytes(damaged))
    assert main(["cache", "verify", "--mission", "tess", "--cache", str(cache_root),
                 "--no-progress"]) == 1
    assert "1 bad" in capsys.readouterr().out
    report = verify_cache(cache_root, repair=True, mission="tess",
                          archive=TessMirror(TESS_ARCHIVE))
    assert report.ok and report.refetched == [cached]
    assert_cache_holds_the_originals(cache_root)
    assert verify_cache(cache_root, mission="tess").good == 1
