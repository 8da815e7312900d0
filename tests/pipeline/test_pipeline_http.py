"""`lcfeat run` against a real local HTTP archive that injects faults, with a corrupt cache."""

from __future__ import annotations

import shutil
import sqlite3

from lcfeat.archive import Cache, HttpArchive
from lcfeat.pipeline import RunSettings, run_pipeline
from lcfeat.store import Store
from tests.archive.archive_fault_server import FaultServer
from tests.archive.conftest import FAST
from tests.conftest import ARCHIVE, TEST_DATA

KEPLER10_Q13 = "0119/011904151/kplr011904151-2012179063303_llc.fits"
GJ1243_Q3 = "0097/009726699/kplr009726699-2009350155506_llc.fits"


def test_run_over_http_with_faults_and_a_corrupt_cache(tmp_path):
    cache_root = tmp_path / "cache"
    # a corrupted file already sits in the cache under GJ 1243's name: it must be quarantined
    planted = cache_root / GJ1243_Q3
    planted.parent.mkdir(parents=True)
    shutil.copy(TEST_DATA / "corrupted" / "test-tpf-kplr-tabby-corrupted.fits", planted)
    db = tmp_path / "run.db"
    with FaultServer(ARCHIVE, stall_seconds=1.0) as server:
        server.inject(KEPLER10_Q13, "flip", "500", "reset")
        server.inject("0100/010001893/kplr010001893-2011177032512_llc.fits", "truncate", "503:0")
        store = Store.connect(f"sqlite:///{db}")
        store.prepare()
        archive = HttpArchive(server.url, Cache(cache_root), FAST)
        ids = [11904151, 9726699, 10001893, 10002792, 7777777]
        summary = run_pipeline(store, archive, server.url, ids,
                               RunSettings(workers=2, batch_size=2, io_concurrency=4))
        assert summary.done == 4, summary.failed_targets
        assert [t for t, _ in summary.failed_targets] == ["KIC 7777777"]
        assert "no long-cadence files" in summary.failed_targets[0][1]
        # the planted corrupt file was replaced by the real one and kept aside
        assert planted.read_bytes() == (ARCHIVE / GJ1243_Q3).read_bytes()
        assert any((cache_root / ".quarantine").rglob("kplr009726699-*"))
        requests_before = len(server.requests)
        again = run_pipeline(store, HttpArchive(server.url, Cache(cache_root), FAST),
                             server.url, ids[:4], RunSettings(workers=1))
        assert again.skipped == 4 and again.done == 0
        assert len(server.requests) == requests_before  # resume touches neither network nor CPU
    with sqlite3.connect(db) as conn:
        stored = {r[0] for r in conn.execute("select target_id from features")}
    assert stored == {"KIC 11904151", "KIC 9726699", "KIC 10001893", "KIC 10002792"}
