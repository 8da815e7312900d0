"""Paths to the bundled real Kepler data, shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = REPO / "data" / "archive"
TEST_DATA = REPO / "tests" / "data"
#: The bundled real TESS light curves, in lcfeat's TESS layout (data/tess/SOURCES.md).
TESS_ARCHIVE = REPO / "data" / "tess"
TESS_TEST_DATA = TEST_DATA / "tess"
#: The bundled TESS stars: pi Mensae, WASP-126, L 98-59, an M-dwarf rotator, an F star.
PI_MEN, WASP_126, L_98_59, M_DWARF, F_STAR = 261136679, 25155310, 307210830, 425933644, 38843964
TESS_STARS = (PI_MEN, WASP_126, L_98_59, M_DWARF, F_STAR)


def quarter_files(kepler_id: int) -> list[Path]:
    """The bundled long-cadence files of one KIC id, in quarter order."""
    folder = ARCHIVE / f"{kepler_id:09d}"[:4] / f"{kepler_id:09d}"
    return sorted(folder.glob("kplr*_llc.fits"))


def sector_files(tic_id: int) -> list[Path]:
    """The bundled TESS light curves of one TIC id (pi Men: its 2-minute and FFI files)."""
    padded = f"{tic_id:016d}"
    folder = TESS_ARCHIVE.joinpath(padded[0:4], padded[4:8], padded[8:12], padded[12:16])
    return sorted(folder.glob("*.fits"))


@pytest.fixture(autouse=True)
def _restore_logging():
    """`lcfeat.cli.main` configures the root logger for a terminal; undo it after each test
    so that later tests do not log into a closed capture stream."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def archive_dir() -> Path:
    return ARCHIVE


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA


def _postgres_admin_url() -> str:
    import os

    return os.environ.get("LCFEAT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database on the real server, dropped afterwards.

    CI (.ci/run) makes sure a server answers: the machine's own, or a throwaway one.
    """
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(_postgres_admin_url()).set(drivername="postgresql+psycopg")
    name = f"lcfeat_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
            ), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each store test runs against SQLite and a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'features.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def detrend_calls(monkeypatch) -> list[int]:
    """The number of cadences of every light curve the transit search detrends
    (`search.transits.detrend_for_search`), one entry per call, in order."""
    from lcfeat.search import transits

    calls: list[int] = []
    real_detrend = transits.detrend_for_search

    def counted(time, flux):
        calls.append(time.size)
        return real_detrend(time, flux)

    monkeypatch.setattr(transits, "detrend_for_search", counted)
    return calls
