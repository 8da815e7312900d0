"""What every `lcfeat` command shares: exit codes, settings from flags and the environment,
argument types, logging, and opening the store."""

from __future__ import annotations

import argparse
import logging
import math
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from lcfeat.config import DEFAULT_DB, MAX_SECONDS, env
from lcfeat.errors import ConfigurationError

#: 0 every target done, 1 finished with failed targets, 2 usage or configuration error before
#: any work started, 3 stopped because the database or the archive stayed unreachable,
#: 130 interrupted (Ctrl-C or SIGTERM).
EXIT_OK, EXIT_FAILED_TARGETS, EXIT_USAGE, EXIT_DATABASE_LOST = 0, 1, 2, 3
EXIT_UNREACHABLE = EXIT_DATABASE_LOST
EXIT_INTERRUPTED = 130

__all__ = ["DEFAULT_DB", "env"]


def _integer(text: str) -> int:
    # ASCII digits only: int() also takes full-width and other scripts' digits.
    digits = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", digits):
        raise argparse.ArgumentTypeError(f"not an integer: {text[:40]!r}")
    return int(digits)


def positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _finite(text: str) -> float:
    if not text.strip().isascii():
        raise argparse.ArgumentTypeError(f"not a number: {text[:40]!r}")
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text[:40]!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text[:40]!r}")
    return value


def positive_float(text: str) -> float:
    value = _finite(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value:g}")
    return value


def seconds(text: str) -> float:
    """A time-out or budget in seconds: finite, > 0 and at most a week."""
    value = positive_float(text)
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_SECONDS:g} s (7 days), got {value:g}")
    return value


def quality_setting(text: str) -> str | int:
    """A --quality value: a preset name, or an integer bitmask."""
    return int(text) if text.isascii() and text.isdigit() else text


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
    """Log lines to stderr (and `log_file`, whose folder is created); warnings of the
    libraries go to the log at DEBUG level instead of the console. ConfigurationError when
    the log file cannot be written."""
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
        file_handler = _log_file_handler(log_file)
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
    if not debug:
        warnings.showwarning = _log_warning


#: Libraries whose INFO and DEBUG records are left out of lcfeat's log.
NOISY_LIBRARIES = frozenset(
    ("httpx", "httpcore", "numba", "distributed", "asyncio", "matplotlib", "astropy"))


def _quiet_libraries(record: logging.LogRecord) -> bool:
    # A filter on lcfeat's handlers, not a level on the libraries' loggers: the libraries are
    # imported later (only by the commands that use them), and a logger created here first
    # breaks astropy, which installs its own logger class when imported.
    return (record.levelno >= logging.WARNING
            or record.name.partition(".")[0] not in NOISY_LIBRARIES)


def _log_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
    """A library's warning (numpy's "degrees of freedom <= 0") is a detail for --debug and
    the log file, not a message to the user."""
    logging.getLogger("lcfeat.warnings").debug("%s: %s (%s:%d)", category.__name__, message,
                                               Path(filename).name, lineno)


def _log_file_handler(log_file: str) -> logging.FileHandler:
    """A handler appending to `log_file`, its folder created if missing."""
    path = Path(log_file).expanduser()
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "is a folder", str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        return logging.FileHandler(path)
    except (FileExistsError, NotADirectoryError):
        raise ConfigurationError(f"--log-file {log_file}: a folder of that path is a file, "
                                 "so the log cannot be written there") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigurationError(f"--log-file {log_file}: cannot write the log there "
                                 f"({reason})") from None


def open_store(url: str, prepare: bool = True, write: bool = False) -> Any:
    """The store at `url`; with `prepare`, its tables created or checked (a mismatch is a
    configuration error, found before any work); with `write`, a read-only database is one
    too."""
    from lcfeat.store import Store

    store = Store.connect(url)
    try:
        if prepare:
            store.prepare()
        if write:
            store.check_writable()
    except BaseException:
        store.close()
        raise
    return store
