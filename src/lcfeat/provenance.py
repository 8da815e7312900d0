"""One record per run: what was run, with what, on which software, and how it went."""

from __future__ import annotations

import hashlib
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

from sqlalchemy import select, update

from lcfeat import __version__
from lcfeat.features.registry import SCHEMA_VERSION, registry_hash

_TRACKED_PACKAGES = ("numpy", "scipy", "astropy", "numba", "lightkurve", "wotan",
                     "statsmodels", "sqlalchemy")


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
    row = record.as_row()

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
    runs = store.tables["runs"]
    query = select(runs).order_by(runs.c.started_at.desc())
    if run_id:
        query = select(runs).where(runs.c.run_id.startswith(run_id))
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        for key in ("settings", "environment"):
            if isinstance(row.get(key), str):
                row[key] = json.loads(row[key])
    return rows
