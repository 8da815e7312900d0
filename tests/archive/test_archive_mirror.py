"""Local mirrors and lightkurve caches read in place; `open_archive` picks the right one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lcfeat.archive import (
    HttpArchive,
    LightkurveCache,
    LocalMirror,
    archive_spec_from,
    cache_dir_from,
    default_cache_dir,
    open_archive,
)
from lcfeat.archive.cache import QUARANTINE_DIR, Cache
from lcfeat.archive.layout import MAST_LIGHTCURVES_URL
from lcfeat.errors import ConfigurationError
from tests.conftest import ARCHIVE, TEST_DATA, quarter_files

TRUNCATED = TEST_DATA / "corrupted" / "test-tpf-kplr-tabby-corrupted.fits"


def make_lightkurve_cache(root: Path, kepler_ids: list[int]) -> Path:
    """lightkurve's layout: mastDownload/Kepler/kplrNNNNNNNNN_lc_Q.../kplr..._llc.fits.

    Each target's files are split over two observation folders, as lightkurve does when
    quarters were downloaded in separate searches.
    """
    kepler_dir = root / "mastDownload" / "Kepler"
    for kepler_id in kepler_ids:
        for index, path in enumerate(quarter_files(kepler_id)):
            bundle = "1" * 18 if index % 2 else "0" * 17 + "1"
            folder = kepler_dir / f"kplr{kepler_id:09d}_lc_Q{bundle}"
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / path.name)
    # Things lightkurve also keeps there, which must be ignored.
    other = kepler_dir / "kplr011904151_sc_Q000000000000100000"
    other.mkdir(parents=True)
    (other / "kplr011904151-2012179063303_slc.fits").write_bytes(b"short cadence")
    return root


def test_a_mirror_is_read_in_place(tmp_path):
    mirror = LocalMirror(ARCHIVE)
    result = mirror.fetch_one(3342467)
    assert result.ok
    assert result.paths == quarter_files(3342467)  # the mirror's own files: no copy
    assert result.quarters == list(range(1, 18))
    assert result.from_disk == 17 and result.downloaded_bytes == 0
    assert result.bytes == sum(p.stat().st_size for p in result.paths)


def test_a_flat_folder_of_targets_works_too(tmp_path):
    (tmp_path / "011904151").mkdir()
    source = quarter_files(11904151)[0]
    shutil.copyfile(source, tmp_path / "011904151" / source.name)
    result = LocalMirror(tmp_path).fetch_one(11904151)
    assert result.ok and result.quarters == [13]


def test_a_bad_file_in_a_users_mirror_is_reported_and_left_alone(tmp_path):
    shutil.copytree(ARCHIVE / "0100", tmp_path / "0100")
    bad = tmp_path / "0100/010002792/kplr010002792-2010174085026_llc.fits"
    bad.chmod(0o644)
    shutil.copyfile(TRUNCATED, bad)
    result = LocalMirror(tmp_path).fetch_one(10002792)
    assert result.error.startswith("KIC 10002792: 1 of 2 files failed verification")
    assert "truncated" in result.error
    assert result.quarters == [2]  # the good file is still listed, for information
    assert bad.exists() and not (tmp_path / QUARANTINE_DIR).exists()
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"{bad}: ") and result.problems[0].endswith("(skipped)")


def test_lcfeat_own_cache_as_a_mirror_quarantines_bad_files(tmp_path):
    cache = Cache(tmp_path)
    cache.ensure()
    shutil.copytree(ARCHIVE / "0100", tmp_path / "0100")
    bad = tmp_path / "0100/010002792/kplr010002792-2010174085026_llc.fits"
    bad.chmod(0o644)
    shutil.copyfile(TRUNCATED, bad)
    mirror = LocalMirror(tmp_path)
    assert mirror.owned and mirror.description.startswith("lcfeat cache")
    result = mirror.fetch_one(10002792)
    assert "failed verification" in result.error and result.problems[0].endswith("(quarantined)")
    assert not bad.exists()
    assert len(list((tmp_path / QUARANTINE_DIR).rglob("kplr010002792-*"))) == 1


def test_unknown_target_in_a_mirror():
    result = LocalMirror(ARCHIVE).fetch_one(757076)
    assert result.error.startswith("KIC 757076: no long-cadence files in the archive")


def test_a_lightkurve_cache_is_read_in_place(tmp_path):
    root = make_lightkurve_cache(tmp_path / "lk", [3342467, 11904151])
    for given in (root, root / "mastDownload", root / "mastDownload" / "Kepler"):
        archive = open_archive(given)
        assert isinstance(archive, LightkurveCache)
        results = {r.kepler_id: r for r in archive.iter_fetch([3342467, 11904151, 9726699])}
        assert results[3342467].quarters == list(range(1, 18))
        assert all(p.is_relative_to(root) for p in results[3342467].paths)
        assert [p.name for p in results[3342467].paths] == [
            p.name for p in quarter_files(3342467)]
        assert results[11904151].quarters == [13]
        assert results[9726699].error.startswith("KIC 9726699: no long-cadence files")


def test_a_corrupt_file_in_a_lightkurve_cache_is_skipped_not_moved(tmp_path):
    root = make_lightkurve_cache(tmp_path / "lk", [10002792])
    bad = next(root.rglob("kplr010002792-2009259160929_llc.fits"))
    shutil.copyfile(TEST_DATA / "corrupted" / "test-tpf-kplr-tabby-corrupted-at-header.fits",
                    bad)
    result = open_archive(root).fetch_one(10002792)
    assert "1 of 2 files failed verification" in result.error
    assert "no END card" in result.error
    assert bad.exists()


def test_a_duplicate_copy_in_two_lightkurve_folders_counts_once(tmp_path):
    root = make_lightkurve_cache(tmp_path / "lk", [11904151])
    source = quarter_files(11904151)[0]
    extra = root / "mastDownload/Kepler/kplr011904151_lc_Q111111111111111111"
    extra.mkdir(exist_ok=True)
    shutil.copyfile(source, extra / source.name)
    result = open_archive(root).fetch_one(11904151)
    assert result.ok and result.quarters == [13]


# -- open_archive and settings --------------------------------------------------------------

def test_open_archive_specs(tmp_path, monkeypatch):
    mast = open_archive(None, tmp_path)
    assert isinstance(mast, HttpArchive) and mast.base_url == MAST_LIGHTCURVES_URL
    assert mast.cache.root == tmp_path
    assert isinstance(open_archive("MAST"), HttpArchive)
    assert open_archive("mast").cache.root == default_cache_dir()
    url = open_archive("http://127.0.0.1:9/pub/kepler/lightcurves", tmp_path, concurrency=3)
    assert url.base_url == "http://127.0.0.1:9/pub/kepler/lightcurves/"
    assert url.settings.concurrency == 3
    assert isinstance(open_archive(str(ARCHIVE)), LocalMirror)
    assert isinstance(open_archive(f"file://{ARCHIVE}"), LocalMirror)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    make_lightkurve_cache(tmp_path / ".lightkurve" / "cache", [11904151])
    assert isinstance(open_archive("lightkurve"), LightkurveCache)


def test_open_archive_rejects_what_does_not_exist(tmp_path):
    with pytest.raises(ConfigurationError, match="neither 'mast'"):
        open_archive(tmp_path / "nowhere")
    with pytest.raises(ConfigurationError):
        open_archive("ftp://example.org/")


def test_flag_then_environment_then_default():
    env = {"LCFEAT_ARCHIVE": "/srv/mirror", "LCFEAT_CACHE": "/var/cache/lc"}
    assert archive_spec_from("http://x/", env) == "http://x/"
    assert archive_spec_from(None, env) == "/srv/mirror"
    assert archive_spec_from(None, {}) == "mast"
    assert cache_dir_from("/a", env) == Path("/a")
    assert cache_dir_from(None, env) == Path("/var/cache/lc")
    assert cache_dir_from(None, {}) == default_cache_dir()
