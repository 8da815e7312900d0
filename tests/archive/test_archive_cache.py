"""Atomic verified writes, quarantine and manifests of lcfeat's cache."""

from __future__ import annotations

from pathlib import Path

from lcfeat.archive.cache import (
    CACHE_MARKER,
    QUARANTINE_LOG,
    Cache,
    Manifest,
    atomic_write_verified,
    default_cache_dir,
    is_temporary_name,
    temporary_name,
)
from tests.conftest import ARCHIVE

KEPLER_10 = ARCHIVE / "0119" / "011904151" / "kplr011904151-2012179063303_llc.fits"


def _everything_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_good_bytes_land_under_the_real_name_and_nothing_else_remains(tmp_path):
    cache = Cache(tmp_path)
    data = KEPLER_10.read_bytes()
    verdict = cache.store(11904151, KEPLER_10.name, data, expected_size=len(data))
    assert verdict.ok and verdict.quarter == 13
    destination = cache.path_for(11904151, KEPLER_10.name)
    assert destination.read_bytes() == data
    assert _everything_under(tmp_path) == [CACHE_MARKER,
                                           f"0119/011904151/{KEPLER_10.name}"]


def test_bad_bytes_never_reach_the_cache_and_leave_no_temporary_file(tmp_path):
    destination = tmp_path / "0119" / "011904151" / KEPLER_10.name
    damaged = bytearray(KEPLER_10.read_bytes())
    damaged[300_000] ^= 0x01
    for bad in (bytes(damaged), KEPLER_10.read_bytes()[:100_000], b""):
        verdict = atomic_write_verified(destination, bad, 11904151)
        assert not verdict.ok
        assert not destination.exists()
        assert list(destination.parent.iterdir()) == []


def test_a_bad_download_does_not_replace_a_good_cached_file(tmp_path):
    destination = tmp_path / KEPLER_10.name
    good = KEPLER_10.read_bytes()
    assert atomic_write_verified(destination, good, 11904151).ok
    assert not atomic_write_verified(destination, good[:-2880], 11904151).ok
    assert destination.read_bytes() == good


def test_wrong_star_is_refused(tmp_path):
    verdict = atomic_write_verified(tmp_path / "x_llc.fits", KEPLER_10.read_bytes(), 3342467)
    assert not verdict.ok and "KEPLERID" in verdict.reason
    assert list(tmp_path.iterdir()) == []


def test_quarantine_moves_the_file_and_logs_why(tmp_path):
    cache = Cache(tmp_path)
    path = cache.path_for(11904151, KEPLER_10.name)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage")
    moved = cache.quarantine(path, "damaged FITS structure:\nno END card")
    assert not path.exists() and moved.read_bytes() == b"garbage"
    assert moved.parent == tmp_path / ".quarantine" / "0119" / "011904151"
    assert moved.name.startswith(KEPLER_10.name + ".")
    log_lines = (tmp_path / ".quarantine" / QUARANTINE_LOG).read_text().splitlines()
    assert len(log_lines) == 1
    _, original, new, reason = log_lines[0].split("\t")
    assert (Path(original), Path(new)) == (path, moved)
    assert reason == "damaged FITS structure: no END card"
    # A second failure of the same name does not overwrite the first quarantined copy.
    path.write_bytes(b"garbage 2")
    second = cache.quarantine(path, "again")
    assert second != moved and moved.exists() and second.read_bytes() == b"garbage 2"


def test_manifest_round_trip_and_tolerance_of_damage(tmp_path):
    cache = Cache(tmp_path)
    assert cache.read_manifest(11904151) is None
    manifest = Manifest(11904151, {KEPLER_10.name: 472320}, "http://example/")
    cache.write_manifest(manifest)
    assert cache.read_manifest(11904151) == manifest
    assert cache.known_sizes() == {cache.path_for(11904151, KEPLER_10.name): 472320}
    (cache.target_dir(11904151) / ".lcfeat-manifest.json").write_text("{not json")
    assert cache.read_manifest(11904151) is None
    cache.forget_manifest(11904151)
    cache.forget_manifest(11904151)  # twice is fine
    assert cache.read_manifest(11904151) is None


def test_temporary_names_are_hidden_unique_and_recognised(tmp_path):
    destination = tmp_path / KEPLER_10.name
    first, second = temporary_name(destination), temporary_name(destination)
    assert first != second and first.parent == tmp_path
    assert is_temporary_name(first.name) and not is_temporary_name(KEPLER_10.name)


def test_default_cache_dir_is_in_the_users_cache_folder():
    from platformdirs import user_cache_dir

    assert default_cache_dir().is_relative_to(user_cache_dir("lcfeat"))
