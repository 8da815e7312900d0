"""One record per run: what was run, with what, on which software, and how it went."""

from __future__ import annotations

import hashlib
import importlib
import json
import platform
import shlex
import subprocess
import sys
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select, update

from lcfeat.features.registry import BY_DOMAIN, SCHEMA_VERSION, registry_hash
from lcfeat.version import __version__

_TRACKED_PACKAGES = ("numpy", "scipy", "astropy", "numba", "lightkurve", "wotan",
                     "statsmodels", "sqlalchemy")

#: Modules whose public upper-case constants (windows, thresholds, search ranges) shape the
#: feature values; a run records them, so a table made from an unversioned tree still says how.
_CONSTANT_MODULES = ("lcfeat.lightcurve.quality", "lcfeat.lightcurve.robust",
                     "lcfeat.features.prepared",
                     *(spec.compute.__module__ for spec in BY_DOMAIN.values()),
                     "lcfeat.search.grid", "lcfeat.search.detrend", "lcfeat.search.core",
                     "lcfeat.search.transits")
#: Upper-case names that are labels, not tunables.
_NOT_CONSTANTS = frozenset({"DOMAIN", "NAMES", "QUALITY_PRESETS", "EXTRA_NAMES",
                            "FEATURE_NAMES", "FLUX", "FEATURES", "EXTRAS", "SPEC", "SCALED"})
#: Width to which the long lines of `describe_run` (settings, versions, constants) wrap.
_WIDTH = 100


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
        argv = sys.argv if argv is None else argv
        command = " ".join(shlex.quote(a) for a in ["lcfeat", *argv[1:]])
        settings = {**settings, "constants": settings.get("constants", feature_constants())}
        return cls(run_id=uuid.uuid4().hex[:12], label=label, started_at=datetime.now(UTC),
                   command=command, settings=settings, archive=archive, n_targets=n_targets)

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


def load_runs(store: Any, run_id: str | None = None) -> list[dict[str, Any]]:
    """Runs newest first (those whose id starts with `run_id`, when given), each with
    `n_rows`: how many rows of `features` it wrote that are still there."""
    inspector = inspect(store.engine)
    if "runs" not in inspector.get_table_names():
        return []
    runs = store.tables["runs"]
    present = {c["name"] for c in inspector.get_columns("runs")}
    query = select(*(c for c in runs.columns if c.name in present))
    query = query.order_by(runs.c.started_at.desc())
    if run_id:
        query = query.where(runs.c.run_id.startswith(run_id, autoescape=True))
    features_columns = ({c["name"] for c in inspector.get_columns("features")}
                        if "features" in inspector.get_table_names() else set())
    features = store.tables["features"]
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["n_rows"] = (conn.execute(
                select(func.count()).select_from(features)
                .where(features.c.run_id == row["run_id"])).scalar_one()
                if "run_id" in features_columns else None)
    for row in rows:
        for key in ("settings", "environment"):
            row[key] = json.loads(row[key]) if isinstance(row.get(key), str) else {}
        for key in ("started_at", "finished_at"):
            if isinstance(row.get(key), datetime) and row[key].tzinfo is None:
                row[key] = row[key].replace(tzinfo=UTC)  # SQLite keeps no zone; lcfeat writes UTC
    return rows


def describe_run(run: dict[str, Any]) -> str:
    """A run as a few readable lines: what was run, on what, with which software, and how
    it went, enough to understand and redo the table it made."""
    started, finished = run.get("started_at"), run.get("finished_at")
    settings = dict(run.get("settings") or {})
    constants = settings.pop("constants", {})
    lines = [f"run {run['run_id']}  label: {run.get('label') or '-'}  "
             f"status: {run.get('status') or '-'}"]

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
    add("command", run.get("command") or "-")
    add("archive", run.get("archive") or "-")
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
    add_items("settings", [f"{k}={v}" for k, v in sorted(settings.items())])
    add("schema", f"version {run.get('schema_version')}, feature registry hash "
                  f"{run.get('registry_hash')} (`lcfeat features` lists definitions)")
    commit = run.get("git_commit")
    add("lcfeat", f"{run.get('lcfeat_version')}"
                  + (f", git commit {commit}" if commit else ", not from a git checkout"))
    environment = dict(run.get("environment") or {})
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
    add("to redo", f"{redo}, then: {run.get('command')}")
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
