"""Fixtures for the archive tests: the local fault-injecting server and fast client settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lcfeat.archive import Cache, ClientSettings, HttpArchive
from tests.archive.archive_fault_server import FaultServer
from tests.conftest import ARCHIVE

#: Time-outs and back-offs shrunk so that every fault test takes well under a second.
FAST = ClientSettings(
    concurrency=4,
    connect_timeout=2.0,
    read_timeout=0.3,
    request_timeout=3.0,
    max_attempts=4,
    backoff_base=0.01,
    backoff_max=0.05,
    max_retry_after=2.0,
    jitter_seed=1,
)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(ARCHIVE, stall_seconds=3.0) as running:
        yield running


@pytest.fixture
def cache_root(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def http_archive(server: FaultServer, cache_root: Path) -> HttpArchive:
    return HttpArchive(server.url, Cache(cache_root), FAST)
