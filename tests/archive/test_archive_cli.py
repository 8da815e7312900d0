"""`lcfeat fetch` and `lcfeat cache verify` through the real command-line entry point."""

from __future__ import annotations

import shutil

from lcfeat.cli import main
from tests.archive.test_archive_maintenance import BAD_SLOTS, fill_cache, plant
from tests.conftest import ARCHIVE


def test_fetch_from_the_server_into_a_cache(server, tmp_path, capsys):
    cache = tmp_path / "cache"
    code = main(["fetch", "11904151", "KIC 10002792", "--archive", server.url,
                 "--cache", str(cache), "--concurrency", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "KIC 11904151: 1 file (Q13)" in out and "KIC 10002792: 2 files (Q2,5)" in out
    assert "2 of 2 targets ok" in out
    assert (cache / "0119/011904151/kplr011904151-2012179063303_llc.fits").read_bytes() == (
        ARCHIVE / "0119/011904151/kplr011904151-2012179063303_llc.fits").read_bytes()


def test_fetch_reports_failed_targets_with_exit_code_1(tmp_path, capsys):
    code = main(["fetch", "11904151", "123", "--archive", str(ARCHIVE)])
    out = capsys.readouterr().out
    assert code == 1
    assert "KIC 123: no long-cadence files in the archive" in out
    assert "1 of 2 targets ok" in out


def test_environment_variables_choose_archive_and_cache(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LCFEAT_ARCHIVE", server.url)
    monkeypatch.setenv("LCFEAT_CACHE", str(tmp_path / "env-cache"))
    assert main(["fetch", "9726699"]) == 0
    assert (tmp_path / "env-cache/0097/009726699").is_dir()


def test_bad_ids_and_bad_archive_are_usage_errors(tmp_path, capsys):
    assert main(["fetch", "TIC 5", "--archive", str(ARCHIVE)]) == 2
    assert main(["fetch", "5", "--archive", str(tmp_path / "missing")]) == 2
    assert "neither 'mast'" in capsys.readouterr().err


def test_cache_verify_then_repair(server, tmp_path, capsys):
    root = tmp_path / "cache"
    fill_cache(root)
    planted = plant(root, BAD_SLOTS[:2])
    assert main(["cache", "verify", "--cache", str(root)]) == 1
    out = capsys.readouterr().out
    assert "22 files checked" in out and "2 bad" in out
    assert all(str(path) in out for path in planted)
    assert main(["cache", "verify", "--cache", str(root), "--repair",
                 "--archive", server.url]) == 0
    assert "2 quarantined, 2 fetched again" in capsys.readouterr().out
    assert main(["cache", "verify", "--cache", str(root)]) == 0


def test_cache_verify_repair_needs_a_source_it_can_copy_from(tmp_path, capsys):
    root = tmp_path / "cache"
    fill_cache(root)
    lightkurve_like = tmp_path / "lk" / "mastDownload" / "Kepler"
    lightkurve_like.mkdir(parents=True)
    shutil.copytree(ARCHIVE / "0119" / "011904151",
                    lightkurve_like / "kplr011904151_lc_Q000000000000010000")
    assert main(["cache", "verify", "--cache", str(root), "--repair",
                 "--archive", str(tmp_path / "lk")]) == 2
    assert "repair needs" in capsys.readouterr().err


def test_cache_verify_lightkurve_shorthand(tmp_path, monkeypatch, capsys):
    from tests.archive.test_archive_mirror import make_lightkurve_cache

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    make_lightkurve_cache(tmp_path / ".lightkurve" / "cache", [10002792])
    assert main(["cache", "verify", "--cache", "lightkurve"]) == 0
    assert "lightkurve cache" in capsys.readouterr().out
