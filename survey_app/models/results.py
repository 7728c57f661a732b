"""Weighting runs with the weights they produced, and releases of published tables (DESIGN §8).

A weight run is stored with its settings, the margins it used and its diagnostics, so every
export and release can say exactly how its numbers were weighted. A release freezes its
tables once published: any change to a published release is refused here, in the ORM.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from survey_app.exceptions import InvalidTransitionError
from survey_app.extensions import db
from survey_app.models.types import UTCDateTime, enum_column, utcnow


class WeightRun(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # tol, max_iter, bounds, and which variables got a "not stated" category.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The margins exactly as used: variable, category, proportion, count, source_note.
    margins: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    converged: Mapped[bool] = mapped_column(Boolean)
    iterations: Mapped[int] = mapped_column(Integer)
    max_error: Mapped[float] = mapped_column(Float)
    problem: Mapped[str] = mapped_column(Text, default="")
    diagnostics: Mapped[dict[str, Any]] = mapped_column(JSON)
    responses: Mapped[int] = mapped_column(Integer)
    # The newest submission day among the responses it weighed and how many were sent that day:
    # later responses are then counted from that day on, not by counting the whole wave.
    last_day: Mapped[date | None] = mapped_column(Date)
    on_last_day: Mapped[int | None] = mapped_column(Integer)
    # The weights it produced, as two aligned arrays: each response's UUID (16 bytes each) and
    # its weight (little-endian float64). A run's weights are written once and read whole, so a
    # row per response (and a foreign-key check per row) bought nothing but time: a million
    # weights are one 24 MB row. Deferred, so listing runs never reads them.
    response_keys: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_group="weights")
    weights: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_group="weights")

    wave: Mapped[Wave] = relationship()  # noqa: F821  (resolved by the registry)
    snapshot: Mapped[ResultsSnapshot | None] = relationship(back_populates="weight_run")


class ResultsSnapshot(db.Model):
    """Everything the analyst's pages and a draft release show of one converged weight run,
    computed once by the weighing job: pages read it and never estimate anything."""

    id: Mapped[int] = mapped_column(primary_key=True)
    weight_run_id: Mapped[int] = mapped_column(ForeignKey("weight_run.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {"table", "equality", "trends", "margins": records; "titles", "labels", "weights_histogram"}
    content: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)

    weight_run: Mapped[WeightRun] = relationship(back_populates="snapshot")


class ReleaseState(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Release(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    weight_run_id: Mapped[int] = mapped_column(ForeignKey("weight_run.id"))
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[ReleaseState] = mapped_column(enum_column(ReleaseState), default=ReleaseState.DRAFT)
    # Every number the release publishes: {"indicators": [rows...], ...} in published form.
    # Deferred: lists of releases read titles and dates, never every release's tables.
    tables: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    methodology: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("release.id"))
    change_note: Mapped[str] = mapped_column(Text, default="")

    wave: Mapped[Wave] = relationship()  # noqa: F821
    weight_run: Mapped[WeightRun] = relationship()

    def __init__(self, **fields: object) -> None:
        fields.setdefault("state", ReleaseState.DRAFT)
        super().__init__(**fields)

    def publish(self, by_id: int | None) -> None:
        if self.state is not ReleaseState.DRAFT:
            raise InvalidTransitionError(
                f"Release {self.id} is {self.state.value}; only a draft can be published."
            )
        self.state, self.published_by_id, self.published_at = (ReleaseState.PUBLISHED, by_id, utcnow())

    def supersede(self) -> None:
        if self.state is not ReleaseState.PUBLISHED:
            raise InvalidTransitionError("Only a published release can be superseded.")
        self.state = ReleaseState.SUPERSEDED


class ReleaseFile(db.Model):
    """A published release's downloads, rendered once at publication and served as stored."""

    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"), primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))


_PUBLISHED = {ReleaseState.PUBLISHED, ReleaseState.SUPERSEDED}


@event.listens_for(Session, "before_flush")
def _published_releases_never_change(session: Session, flush_context, instances) -> None:
    """A published release may only become superseded; nothing else about it, nor any of its
    stored files, may change."""
    for release in (*session.dirty, *session.deleted):
        if isinstance(release, ReleaseFile):
            raise PermissionError("a release's stored file is written once and never changed")
        if not isinstance(release, Release):
            continue
        history = db.inspect(release).attrs.state.history
        was = (history.deleted or history.unchanged or [release.state])[0]
        if was not in _PUBLISHED:
            continue
        if release in session.deleted:
            raise PermissionError("a published release cannot be deleted")
        changed = {a.key for a in db.inspect(release).attrs if a.history.has_changes()}
        allowed = (
            {"state"} if (was, release.state) == (ReleaseState.PUBLISHED, ReleaseState.SUPERSEDED) else set()
        )
        if changed - allowed:
            raise PermissionError(f"a published release cannot change ({', '.join(sorted(changed))})")
