"""What the store writes and offers, as plain values importable without SQLAlchemy: a failed
target, a batch's log line, the tables and formats `lcfeat export` writes.

A worker process builds `Failure`s and `lcfeat --help` lists the export choices; neither
should pay for loading a database driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lcfeat.targets.ids import format_target_id

#: File formats of `lcfeat export`.
FORMATS = ("parquet", "csv")
#: Tables `lcfeat export` writes.
EXPORTABLE_TABLES = ("features", "targets", "failures", "processing_log", "runs")


@dataclass(frozen=True)
class Failure:
    """Why a target failed: the stage (fetch, read, extract), the error and its message."""

    kepler_id: int
    stage: str
    error_type: str
    message: str
    attempts: int = 1
    #: "kepler" or "tess": `kepler_id` is a KIC or a TIC id
    mission: str = "kepler"

    def __post_init__(self) -> None:
        # Every reader shows the target beside the message (summary, log, status): a message
        # that starts with it ("KIC n: ...", as errors of the archive and reader do) drops it.
        prefix = f"{format_target_id(self.kepler_id)}:"
        if self.message.startswith(prefix):
            object.__setattr__(self, "message", self.message[len(prefix):].lstrip())

    @property
    def target_id(self) -> str:
        return format_target_id(self.kepler_id, self.mission)


@dataclass
class BatchLog:
    """One committed batch, as the deployed `processing_log` table records it."""

    batch_number: int
    started_at: datetime
    avg_download_time: float | None = None
    avg_extraction_time: float | None = None
    notes: str = ""
