"""Background jobs as the staff see them: what was asked, how far it has got, how it ended.

RQ (or, on a laptop and in the tests, the request itself) runs the work; this row is what a
page reads, so a job's progress and its failure survive the worker that ran it. A wave has at
most one queued or running job at a time, held by a partial unique index, so two weighings of
one wave can never interleave.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.exceptions import InvalidTransitionError
from survey_app.extensions import db
from survey_app.models.types import UTCDateTime, enum_column, utcnow


class JobKind(enum.Enum):
    WEIGH = "weigh"  # weigh the wave, then compute the results snapshot of the new run
    DRAFT = "draft"  # prepare a draft release from the latest results snapshot
    PUBLISH = "publish"  # render a release's files and publish it


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE = (JobState.QUEUED, JobState.RUNNING)
_ACTIVE_SQL = text("state IN ('queued', 'running')")


class Job(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(enum_column(JobKind))
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    # What the job needs beyond its wave (a release id to publish).
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    stage: Mapped[str] = mapped_column(String(80), default="waiting for a worker")
    # Why it failed, or what it made, in words for the page.
    message: Mapped[str] = mapped_column(Text, default="")
    # The weight run or release it made.
    result_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "uq_job_one_active_per_wave",
            "wave_id",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
    )

    def __init__(self, **fields: object) -> None:
        fields.setdefault("state", JobState.QUEUED)
        fields.setdefault("progress", 0)
        fields.setdefault("stage", "waiting for a worker")
        fields.setdefault("params", {})
        super().__init__(**fields)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def start(self) -> None:
        if self.state is not JobState.QUEUED:
            raise InvalidTransitionError(f"Job {self.id} is {self.state.value}; only a queued job starts.")
        self.state, self.started_at = JobState.RUNNING, utcnow()

    def advance(self, progress: int, stage: str) -> None:
        self.progress, self.stage = progress, stage

    def succeed(self, message: str, result_id: int | None = None) -> None:
        self._finish(JobState.DONE, message)
        self.result_id, self.progress = result_id, 100

    def fail(self, message: str) -> None:
        self._finish(JobState.FAILED, message)

    def _finish(self, state: JobState, message: str) -> None:
        if not self.active:
            raise InvalidTransitionError(f"Job {self.id} has already ended ({self.state.value}).")
        self.state, self.message, self.finished_at, self.stage = state, message, utcnow(), state.value
