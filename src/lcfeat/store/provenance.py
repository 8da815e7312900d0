"""One record per run: what was run, with what, on which software, and how it went."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select, update

from lcfeat.config import redact
from lcfeat.features.registry import BY_DOMAIN, SCHEMA_VERSION, registry_hash
from lcfeat.version import __version__

_TRACKED_PACKAGES = ("numpy", "scipy", "astropy", "numba", "lightkurve", "statsmodels",
                     "sqlalchemy")

#: Modules whose public upper-case constants (windows, thresholds, search ranges) shape the
#: feature values; a run records them, so a table made from an unversioned tree still says how.
_CONSTANT_MODULES = ("lcfeat.lightcurve.quality", "lcfeat.lightcurve.robust",
                     "lcfeat.lightcurve.biweight", "lcfeat.lightcurve.flares",
                     "lcfeat.features.prepared",
                     *(spec.compute.__module__ for spec in BY_DOMAIN.values()),
                     "lcfeat.search.grid", "lcfeat.search.detrend", "lcfeat.search.core",
                     "lcfeat.search.transits")
#: Upper-case names that are labels, not tunables.
_NOT_CONSTANTS = frozenset({"DOMAIN", "NAMES", "QUALITY_PRESETS", "EXTRA_NAMES",
                            "FEATURE_NAMES", "FLUX", "FEATURES", "EXTRAS", "SPEC", "SCALED"})
#: Width to which the long lines of `describe_run` (settings, versions, constants) wrap.
_WIDTH = 100
#: A run on another machine that committed nothing for this long is probably abandoned.
SILENT_MINUTES = 30.0


def package_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _TRACKED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_commit() -> str | None:
    """The commit of the source tree lcfeat runs from, when it is a git checkout."""
    source = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{out}{'-dirty' if dirty else ''}" if out else None


def _plain(value: Any) -> Any:
    """`value` as JSON-ready numbers, strings, lists and dicts, or None if it is not one."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list | frozenset):
        items = [_plain(v) for v in value]
        return None if any(i is None for i in items) else items
    if isinstance(value, dict):
        plain = {str(k): _plain(v) for k, v in value.items()}
        return None if any(v is None for v in plain.values()) else plain
    return None


def feature_constants() -> dict[str, dict[str, Any]]:
    """Public constants of the modules that compute features, per module (short name)."""
    found: dict[str, dict[str, Any]] = {}
    for name in _CONSTANT_MODULES:
        short = name.removeprefix("lcfeat.")
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a domain not installed or broken: say so, do not fail
            found[short] = {"import_error": f"{type(exc).__name__}: {exc}"}
            continue
        constants = {key: _plain(value) for key, value in vars(module).items()
                     if key.isupper() and not key.startswith("_") and key not in _NOT_CONSTANTS}
        constants = {k: v for k, v in sorted(constants.items()) if v is not None}
        if constants:
            found[short] = constants
    return found


def settings_hash(settings: dict[str, Any]) -> str:
    """Hash of everything that changes feature values: resume skips only matching rows."""
    payload = json.dumps(
        {"schema": SCHEMA_VERSION, "registry": registry_hash(), **settings}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass
class RunRecord:
    run_id: str
    label: str | None
    started_at: datetime
    command: str
    settings: dict[str, Any]
    archive: str
    n_targets: int
    environment: dict[str, str] = field(default_factory=package_versions)
    lcfeat_version: str = __version__
    git_commit: str | None = field(default_factory=git_commit)
    schema_version: int = SCHEMA_VERSION
    registry_hash: str = field(default_factory=registry_hash)
    finished_at: datetime | None = None
    status: str = "running"
    n_done: int = 0
    n_failed: int = 0
    n_skipped: int = 0
    targets_per_second: float | None = None

    @classmethod
    def start(cls, label: str | None, settings: dict[str, Any], archive: str,
              n_targets: int, argv: list[str] | None = None) -> RunRecord:
        """A new run's record. Credentials in URLs (``--db postgresql://user:password@...``,
        a mirror's ``?token=``) never reach it: the command, settings and archive are
        redacted. The process (host, pid) is kept, to tell a run in progress from one that
        was killed."""
        argv = sys.argv if argv is None else argv
        command = " ".join(shlex.quote(redact(a)) for a in ["lcfeat", *argv[1:]])
        settings = {**settings, "constants": settings.get("constants", feature_constants())}
        settings = {key: redact(value) if isinstance(value, str) else value
                    for key, value in settings.items()}
        environment = {**package_versions(), "host": socket.gethostname(),
                       "pid": str(os.getpid())}
        return cls(run_id=uuid.uuid4().hex[:12], label=label, started_at=datetime.now(UTC),
                   command=command, settings=settings, archive=redact(archive),
                   n_targets=n_targets, environment=environment)

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["settings"] = json.dumps(self.settings, sort_keys=True)
        row["environment"] = json.dumps(self.environment, sort_keys=True)
        return row


def save_run(store: Any, record: RunRecord) -> None:
    """Insert or update the run's row in the store's `runs` table."""
    runs = store.tables["runs"]
    row = store._writable("runs", [record.as_row()])[0]

    def action() -> None:
        with store.engine.begin() as conn:
            exists = conn.execute(
                select(runs.c.run_id).where(runs.c.run_id == record.run_id)
            ).first()
            if exists:
                conn.execute(update(runs).where(runs.c.run_id == record.run_id).values(**row))
            else:
                conn.execute(runs.insert().values(**row))

    store._with_retry("saving the run record", action)


def load_runs(store: Any, run_id: str | None = None,
              status: str | None = None) -> list[dict[str, Any]]:
    """Runs newest first (those whose id starts with `run_id`, or whose recorded status is
    `status`, when given), each with `n_rows`: how many rows of `features` it wrote that
    are still there, and `state`: its status, "abandoned" for a run whose process is gone."""
    inspector = inspect(store.engine)
    if "runs" not in inspector.get_table_names():
        return []
    runs = store.tables["runs"]
    present = {c["name"] for c in inspector.get_columns("runs")}
    query = select(*(c for c in runs.columns if c.name in present))
    query = query.order_by(runs.c.started_at.desc())
    if run_id:
        query = query.where(runs.c.run_id.startswith(run_id, autoescape=True))
    if status:
        query = query.where(runs.c.status == status)
    features_columns = ({c["name"] for c in inspector.get_columns("features")}
                        if "features" in inspector.get_table_names() else set())
    features = store.tables["features"]
    log_table = store.tables["processing_log"]
    log_columns = ({c["name"] for c in inspector.get_columns("processing_log")}
                   if "processing_log" in inspector.get_table_names() else set())
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["n_rows"] = (conn.execute(
                select(func.count()).select_from(features)
                .where(features.c.run_id == row["run_id"])).scalar_one()
                if "run_id" in features_columns else None)
            row["last_batch_at"] = (conn.execute(
                select(func.max(log_table.c.completed_at))
                .where(log_table.c.run_id == row["run_id"])).scalar_one()
                if {"run_id", "completed_at"} <= log_columns else None)
    for row in rows:
        for key in ("settings", "environment"):
            row[key] = json.loads(row[key]) if isinstance(row.get(key), str) else {}
        for key in ("started_at", "finished_at", "last_batch_at"):
            if isinstance(row.get(key), str):  # SQLite returns text for aggregates
                row[key] = datetime.fromisoformat(row[key])
            if isinstance(row.get(key), datetime) and row[key].tzinfo is None:
                row[key] = row[key].replace(tzinfo=UTC)  # SQLite keeps no zone; lcfeat writes UTC
        row["state"], row["state_note"] = run_state(row)
    return rows


def run_state(run: dict[str, Any], now: datetime | None = None) -> tuple[str, str]:
    """(state, why) of a run: its recorded status, except that a run recorded as "running"
    whose process is gone (killed, a power cut) is "abandoned". On this machine the process
    is looked up; a run of another machine that committed nothing for SILENT_MINUTES is
    "abandoned?" (it cannot be checked from here)."""
    status = run.get("status") or "-"
    if status != "running":
        return status, ""
    environment = run.get("environment") or {}
    host, pid = environment.get("host"), environment.get("pid")
    if host is None or pid is None or not str(pid).isdigit():
        return status, ""
    where = f"process {pid} on {host}"
    if host == socket.gethostname():
        if _same_process_alive(int(pid), run.get("started_at")):
            return "running", where
        return "abandoned", f"{where} is gone; run the same command again to resume"
    last = run.get("last_batch_at") or run.get("started_at")
    if last is not None:
        silent = ((now or datetime.now(UTC)) - last).total_seconds() / 60
        if silent > SILENT_MINUTES:
            return "abandoned?", (f"{where}: nothing committed for {silent:.0f} min "
                                  "(cannot be checked from this machine)")
    return "running", where


def _same_process_alive(pid: int, started_at: datetime | None) -> bool:
    """Whether process `pid` exists and is the one that started the run (not a later process
    that got the same id: it would have started after the run)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        pass  # exists (another user's), or not an id we can ask about
    begun = _process_start_time(pid)
    if begun is not None and started_at is not None:
        return begun <= started_at.timestamp() + 1.0
    return True


def _process_start_time(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), where /proc tells (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in
                    Path("/proc/stat").read_text().splitlines() if line.startswith("btime"))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def describe_run(run: dict[str, Any]) -> str:
    """A run as a few readable lines: what was run, on what, with which software, and how
    it went, enough to understand and redo the table it made."""
    started, finished = run.get("started_at"), run.get("finished_at")
    settings = dict(run.get("settings") or {})
    constants = settings.pop("constants", {})
    state, note = run.get("state") or run_state(run)[0], run.get("state_note") or ""
    lines = [f"run {run['run_id']}  label: {run.get('label') or '-'}  status: {state}"
             + (f" ({note})" if state.startswith("abandoned") and note else "")]

    def add(name: str, text: str) -> None:
        lines.append(f"  {name:<11} {text}")

    def add_items(name: str, items: list[str], prefix: str = "") -> None:
        """Items separated by commas, wrapped between items only (never inside one)."""
        line, indent = f"  {name:<11} {prefix}", " " * 16
        for index, item in enumerate(items or ["-"]):
            piece = item + ("," if index < len(items) - 1 else "")
            if len(line) + len(piece) + 1 > _WIDTH and line.strip() not in (name, prefix.strip()):
                lines.append(line.rstrip())
                line = indent
            line += piece + " "
        lines.append(line.rstrip())

    when = _when(started)
    if finished is not None:
        when += f"  ->  {_when(finished)}"
        if started is not None:
            when += f"  ({_duration((finished - started).total_seconds())})"
    else:
        when += "  ->  not finished"
    add("time", when)
    add("command", redact(run.get("command") or "-"))
    add("archive", redact(run.get("archive") or "-"))
    done, failed, skipped = (run.get("n_done") or 0, run.get("n_failed") or 0,
                             run.get("n_skipped") or 0)
    add("targets", f"{run.get('n_targets') or 0} requested: {done} done, {failed} failed, "
                   f"{skipped} skipped (already done with the same settings)")
    rate = run.get("targets_per_second")
    if rate:
        add("throughput", f"{rate:.3g} targets/s")
    if run.get("n_rows") is not None:
        add("rows", f"{run['n_rows']} rows of the features table have run_id = "
                    f"'{run['run_id']}'")
    add_items("settings", [f"{k}={redact(str(v))}" for k, v in sorted(settings.items())])
    add("schema", f"version {run.get('schema_version')}, feature registry hash "
                  f"{run.get('registry_hash')} (`lcfeat features` lists definitions)")
    commit = run.get("git_commit")
    add("lcfeat", f"{run.get('lcfeat_version')}"
                  + (f", git commit {commit}" if commit else ", not from a git checkout"))
    environment = dict(run.get("environment") or {})
    host, pid = environment.pop("host", None), environment.pop("pid", None)
    if host is not None and pid is not None:
        add("process", f"pid {pid} on {host}")
    python = environment.pop("python", None)
    add_items("software", ([f"Python {python}"] if python else [])
              + [f"{k} {v}" for k, v in sorted(environment.items())])
    for module, values in sorted(constants.items()):
        add_items("constants" if module == min(constants) else "",
                  [f"{k}={v}" for k, v in values.items()], prefix=f"{module}: ")
    redo = f"pip install lcfeat=={run.get('lcfeat_version')}"
    if commit:
        redo = f"git checkout {commit.removesuffix('-dirty')}"
        if commit.endswith("-dirty"):
            redo += " (the tree had uncommitted changes)"
    add("to redo", f"{redo}, then: {redact(run.get('command') or '-')}")
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"
