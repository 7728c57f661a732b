"""Survey waves, the schools taking part, and the access codes that let respondents in."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.exceptions import InvalidTransitionError
from survey_app.extensions import db
from survey_app.models.questionnaire import Audience, QuestionnaireVersion
from survey_app.models.school import School
from survey_app.models.types import UTCDateTime, enum_column, utcnow


class WaveState(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


# The only moves a wave's lifecycle allows; anything else is refused, never silently applied.
_TRANSITIONS = {
    WaveState.DRAFT: {WaveState.OPEN},
    WaveState.OPEN: {WaveState.CLOSED},
    WaveState.CLOSED: {WaveState.OPEN, WaveState.PUBLISHED},
    WaveState.PUBLISHED: set(),
}


class Wave(db.Model):
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Used in the public open link, e.g. /public/london-2026.
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[WaveState] = mapped_column(enum_column(WaveState), default=WaveState.DRAFT)
    # Public waves may also take answers from an open link with no invitation code.
    open_link: Mapped[bool] = mapped_column(Boolean, default=False)
    # Free-text answers are deleted this many days after the wave closes (P-35).
    text_retention_days: Mapped[int] = mapped_column(Integer, default=730, server_default="730")

    version: Mapped[QuestionnaireVersion] = relationship()
    schools: Mapped[list[WaveSchool]] = relationship(back_populates="wave")

    def __init__(self, **fields: object) -> None:
        fields.setdefault("state", WaveState.DRAFT)  # the lifecycle needs it before the insert
        super().__init__(**fields)

    def allows(self, target: WaveState) -> bool:
        return target in _TRANSITIONS[self.state]

    def _move(self, target: WaveState) -> None:
        if not self.allows(target):
            raise InvalidTransitionError(
                f"Wave '{self.name}' is {self.state.value}; it cannot become {target.value}."
            )
        self.state = target

    def open(self) -> None:
        self._move(WaveState.OPEN)
        self.version.freeze()

    def close(self) -> None:
        self._move(WaveState.CLOSED)

    def publish(self) -> None:
        self._move(WaveState.PUBLISHED)

    def accepting_at(self, moment: datetime | None = None) -> bool:
        moment = moment or utcnow()
        return self.state is WaveState.OPEN and self.opens_at <= moment < self.closes_at

    def not_accepting_reason(self, moment: datetime | None = None) -> str | None:
        """Why a respondent cannot answer now, in words for them; ``None`` when they can."""
        moment = moment or utcnow()
        if self.accepting_at(moment):
            return None
        if self.state is WaveState.DRAFT:
            # Its dates are a plan: it opens when an admin opens it, which may not be that day.
            return "This survey has not been opened yet. Please try again later."
        if moment < self.opens_at:
            return f"This survey has not started yet. It opens on {self.opens_at:%d %B %Y}."
        return "This survey has now closed. Thank you for your interest."


class WaveSchool(db.Model):
    __table_args__ = (
        UniqueConstraint("wave_id", "school_id"),
        CheckConstraint("expected_pupils >= 0", name="expected_not_negative"),
        CheckConstraint("selection_weight > 0", name="selection_weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    expected_pupils: Mapped[int] = mapped_column(Integer, default=0)
    # The inverse of the school's chance of being invited to this wave: the base weight of
    # its pupils' responses (1 when every school was invited).
    selection_weight: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")

    wave: Mapped[Wave] = relationship(back_populates="schools")
    school: Mapped[School] = relationship()


class CodeKind(enum.Enum):
    CLASS = "class"  # many pupils of one class, on kiosk devices
    INVITATION = "invitation"  # one member of the public, used once


class AccessCode(db.Model):
    """A code that lets respondents into a wave.

    Only a use counter is kept: no response refers to the code it came through, and the counter
    has no timestamp, so a response cannot be tied back to a code or a moment (SECURITY P-07).
    """

    __table_args__ = (
        CheckConstraint("uses >= 0", name="uses_not_negative"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_max"),
        CheckConstraint("(kind = 'class') = (school_id IS NOT NULL)", name="class_codes_have_a_school"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    kind: Mapped[CodeKind] = mapped_column(enum_column(CodeKind))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    class_label: Mapped[str | None] = mapped_column(String(60))
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(Integer, default=0)
    # Surveys begun with this code (kiosk starts, invitation entries): with ``uses`` this gives
    # the completion rate. A bare counter, like ``uses``, so it links to nobody.
    starts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    wave: Mapped[Wave] = relationship()
    school: Mapped[School | None] = relationship()

    def unusable_reason(self, moment: datetime | None = None) -> str | None:
        """Why this code cannot be used now, in words for the respondent; ``None`` if it can."""
        moment = moment or utcnow()
        if self.revoked_at is not None:
            return "This code has been cancelled. Please ask your teacher for a new one."
        if self.expires_at is not None and moment >= self.expires_at:
            return "This code has expired. Please ask for a new one."
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "This code has already been used. Each invitation code works once."
        return None
