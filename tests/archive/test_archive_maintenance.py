"""`verify_cache`: find the bad files of a cache; with repair, quarantine and fetch again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lcfeat.archive import Cache, HttpArchive, LocalMirror, verify_cache
from lcfeat.archive.cache import QUARANTINE_DIR
from lcfeat.errors import ConfigurationError
from tests.archive.conftest import FAST
from tests.archive.test_archive_mirror import make_lightkurve_cache
from tests.conftest import ARCHIVE, TEST_DATA

CORRUPTED = sorted((TEST_DATA / "corrupted").glob("*.fits"))


def fill_cache(root: Path) -> Cache:
    cache = Cache(root)
    cache.ensure()
    for source in ARCHIVE.rglob("kplr*_llc.fits"):
        destination = root / source.relative_to(ARCHIVE)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return cache


def plant(root: Path, relative_paths: list[str]) -> list[Path]:
    """Overwrite cached files with the corrupted fixtures, one each."""
    planted = []
    for relative, fixture in zip(relative_paths, CORRUPTED, strict=False):
        path = root / relative
        shutil.copyfile(fixture, path)
        planted.append(path)
    return planted


BAD_SLOTS = [
    "0119/011904151/kplr011904151-2012179063303_llc.fits",
    "0033/003342467/kplr003342467-2011073133259_llc.fits",
    "0100/010002792/kplr010002792-2009259160929_llc.fits",
    "0097/009726699/kplr009726699-2009350155506_llc.fits",
]


def test_a_clean_cache_reports_all_good(tmp_path):
    fill_cache(tmp_path)
    report = verify_cache(tmp_path)
    assert (report.kind, report.checked, report.good, report.bad) == ("lcfeat cache", 22, 22, [])
    assert report.ok and report.bytes_checked == sum(
        p.stat().st_size for p in ARCHIVE.rglob("*.fits"))


def test_bad_files_are_found_and_nothing_changes_without_repair(tmp_path):
    fill_cache(tmp_path)
    planted = plant(tmp_path, BAD_SLOTS)
    report = verify_cache(tmp_path, progress=True)
    assert sorted(item.path for item in report.bad) == sorted(planted)
    assert report.good == 22 - len(planted) and not report.ok
    assert all(path.exists() for path in planted)
    assert not (tmp_path / QUARANTINE_DIR).exists()
    assert any("bad:" in line for line in report.summary_lines())


def test_repair_quarantines_and_fetches_fresh_copies(tmp_path, server):
    fill_cache(tmp_path)
    planted = plant(tmp_path, BAD_SLOTS)
    archive = HttpArchive(server.url, Cache(tmp_path / "unused"), FAST)
    report = verify_cache(tmp_path, repair=True, archive=archive)
    assert report.ok and sorted(report.refetched) == sorted(planted)
    assert len(report.quarantined) == len(planted)
    for path in planted:
        assert path.read_bytes() == (ARCHIVE / path.relative_to(tmp_path)).read_bytes()
    quarantined = sorted(p.read_bytes() for p in (tmp_path / QUARANTINE_DIR).rglob("kplr*"))
    assert quarantined == sorted(p.read_bytes() for p in CORRUPTED)
    assert verify_cache(tmp_path).bad == []


def test_repair_from_a_mirror_and_a_failed_repair_is_reported(tmp_path, server):
    fill_cache(tmp_path)
    planted = plant(tmp_path, BAD_SLOTS[:2])
    report = verify_cache(tmp_path, repair=True, archive=LocalMirror(ARCHIVE))
    assert report.ok and len(report.refetched) == 2
    plant(tmp_path, BAD_SLOTS[:1])
    server.inject(BAD_SLOTS[0], *["500"] * FAST.max_attempts)
    archive = HttpArchive(server.url, Cache(tmp_path / "unused"), FAST)
    failed = verify_cache(tmp_path, repair=True, archive=archive)
    assert not failed.ok and failed.refetch_failed[0].path == planted[0]
    assert "gave up" in failed.refetch_failed[0].reason
    assert not planted[0].exists()  # quarantined; no damaged file left in its place


def test_manifest_sizes_are_checked(tmp_path):
    cache = fill_cache(tmp_path)
    from lcfeat.archive.cache import Manifest

    name = "kplr011904151-2012179063303_llc.fits"
    cache.write_manifest(Manifest(11904151, {name: 472320 + 2880}, "x"))
    report = verify_cache(tmp_path)
    assert [item.path.name for item in report.bad] == [name]
    assert "expected 475200" in report.bad[0].reason


def test_a_lightkurve_cache_is_verified_and_repaired_in_place(tmp_path, server):
    root = make_lightkurve_cache(tmp_path / "lk", [11904151, 10002792])
    bad = next(root.rglob("kplr010002792-2010174085026_llc.fits"))
    shutil.copyfile(CORRUPTED[0], bad)
    report = verify_cache(root)
    assert report.kind == "lightkurve cache" and report.checked == 3
    assert [item.path for item in report.bad] == [bad]
    archive = HttpArchive(server.url, Cache(tmp_path / "unused"), FAST)
    repaired = verify_cache(root / "mastDownload", repair=True, archive=archive)
    assert repaired.ok and repaired.refetched == [bad]
    assert bad.read_bytes() == (ARCHIVE / "0100/010002792" / bad.name).read_bytes()
    assert len(list((root / ".lcfeat-quarantine").rglob("kplr*_llc.fits.*"))) == 1


def test_leftover_temporary_files_are_reported_and_removed_on_repair(tmp_path):
    fill_cache(tmp_path)
    old = tmp_path / "0119/011904151/.kplr011904151-2012179063303_llc.fits.1.abcd.part"
    # young, and its writer (this process) runs: maybe a download in progress
    fresh = (tmp_path / "0119/011904151"
             / f".kplr011904151-2012179063303_llc.fits.{os.getpid()}.ef01.part")
    old.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert verify_cache(tmp_path).stale_temporary == [old]
    report = verify_cache(tmp_path, repair=True)
    assert report.removed_temporary == [old]
    assert not old.exists() and fresh.exists()  # a young one may be a download in progress


def _pid_of_a_finished_process() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                             capture_output=True, text=True, check=True)
    return int(process.stdout)


def test_a_part_file_of_a_killed_download_is_removed_at_once(tmp_path, server):
    """A download killed a minute ago left its .part file: its writer is gone, so neither
    `cache verify --repair` nor the next fetch of the target waits an hour to remove it."""
    fill_cache(tmp_path / "cache")
    folder = tmp_path / "cache" / "0119/011904151"
    dead = _pid_of_a_finished_process()
    left = folder / f".kplr011904151-2012179063303_llc.fits.{dead}.9f3c.part"
    manifest_left = folder / f"..lcfeat-manifest.json.{dead}.77aa.part"
    for path in (left, manifest_left):
        path.write_bytes(b"half a download")
    report = verify_cache(tmp_path / "cache", repair=True)
    assert sorted(report.removed_temporary) == sorted([left, manifest_left])
    assert not left.exists() and not manifest_left.exists()
    # and a run that fetches the target cleans up too, without any repair
    left.write_bytes(b"half a download")
    archive = HttpArchive(server.url, Cache(tmp_path / "cache"), FAST)
    assert archive.fetch_one(11904151).ok
    assert not left.exists()
    assert not any(path.name.endswith(".part") for path in folder.iterdir())


def test_a_missing_folder_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        verify_cache(tmp_path / "absent")
