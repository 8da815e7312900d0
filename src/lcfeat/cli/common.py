"""What every `lcfeat` command shares: exit codes, settings from flags and the environment,
argument types, logging, and opening the store."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from lcfeat.config import DEFAULT_DB, env

#: 0 every target done, 1 finished with failed targets, 2 usage or configuration error before
#: any work started, 3 stopped because the database stayed unreachable.
EXIT_OK, EXIT_FAILED_TARGETS, EXIT_USAGE, EXIT_DATABASE_LOST = 0, 1, 2, 3
EXIT_INTERRUPTED = 130

__all__ = ["DEFAULT_DB", "env"]


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def quality_setting(text: str) -> str | int:
    """A --quality value: a preset name, or an integer bitmask."""
    return int(text) if text.isdigit() else text


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=env("DB", DEFAULT_DB),
        help="SQLAlchemy URL: sqlite:///lcfeat.db (default, or $LCFEAT_DB), "
             "postgresql://user:pass@host:5432/dbname",
    )


def add_mission_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mission", choices=("kepler", "tess"), default=env("MISSION", "kepler"),
        help="kepler (default, or $LCFEAT_MISSION): KIC ids and Kepler long-cadence files; "
             "tess: TIC ids and TESS SPOC light curves (2-minute and TESS-SPOC FFI)",
    )


def add_catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        help="'bundled' (the offline snapshot), or a folder written by `lcfeat catalog "
             "update`; default: the downloaded catalog in $LCFEAT_CATALOG or the user data "
             "folder if there is one, else the bundled snapshot",
    )


def setup_logging(quiet: bool = False, log_file: str | None = None, debug: bool = False) -> None:
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    handlers: list[logging.Handler] = []
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handlers.append(RichHandler(show_path=False, rich_tracebacks=debug))
    else:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(stream)
    for handler in handlers:
        handler.setLevel(level)
    if log_file:
        file_handler = logging.FileHandler(log_file)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
        handlers.append(file_handler)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if (debug or log_file) else level)
    for handler in handlers:
        handler.addFilter(_quiet_libraries)


#: Libraries whose INFO and DEBUG records are left out of lcfeat's log.
NOISY_LIBRARIES = frozenset(
    ("httpx", "httpcore", "numba", "distributed", "asyncio", "matplotlib", "astropy"))


def _quiet_libraries(record: logging.LogRecord) -> bool:
    # A filter on lcfeat's handlers, not a level on the libraries' loggers: the libraries are
    # imported later (only by the commands that use them), and a logger created here first
    # breaks astropy, which installs its own logger class when imported.
    return (record.levelno >= logging.WARNING
            or record.name.partition(".")[0] not in NOISY_LIBRARIES)


def open_store(url: str, prepare: bool = True) -> Any:
    """The store at `url`; with `prepare`, its tables created or checked (a mismatch is a
    configuration error, found before any work)."""
    from lcfeat.store import Store

    store = Store.connect(url)
    if prepare:
        store.prepare()
    return store
