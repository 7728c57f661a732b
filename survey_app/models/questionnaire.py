"""Questionnaires as versioned data.

Question keys and option codes are stable across versions: analyses and trends join on them.
A version is frozen the moment a wave uses it, so what a respondent saw can always be reconstructed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.exceptions import FrozenVersionError
from survey_app.extensions import db
from survey_app.models.types import UTCDateTime, enum_column, utcnow


def localised(texts: dict[str, str], language: str) -> str:
    """Wording in ``language``, falling back to English, so a partial translation still works."""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def condition_met(condition: dict[str, Any] | None, answers: Mapping[str, str]) -> bool:
    """Routing: a question with a condition is asked only when an earlier answer is among its codes."""
    return not condition or answers.get(condition["question"]) in condition["in"]


class Audience(enum.Enum):
    PUPIL = "pupil"
    PUBLIC = "public"


class QuestionKind(enum.Enum):
    SINGLE = "single"  # one option from a list
    TEXT = "text"  # free text; never published


class Questionnaire(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )


class QuestionnaireVersion(db.Model):
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    number: Mapped[int]
    # Languages this version has wording for; the first is the default.
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def freeze(self) -> None:
        if self.frozen_at is None:
            self.frozen_at = utcnow()

    def ensure_editable(self) -> None:
        if self.is_frozen:
            raise FrozenVersionError(
                f"Version {self.number} of '{self.questionnaire.title}' is used by a wave and "
                "cannot change. Create a new version instead."
            )

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


class Question(db.Model):
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        UniqueConstraint("version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    wording: Mapped[dict[str, str]] = mapped_column(JSON)
    hint: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Asked only when an earlier answer is among these codes: {"question": key, "in": [codes]}.
    condition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Sensitive items get extra reassurance in the hint and are never required (SECURITY P-11).
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)

    version: Mapped[QuestionnaireVersion] = relationship(back_populates="questions")
    options: Mapped[list[Option]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan"
    )

    def applies_to(self, answers: Mapping[str, str]) -> bool:
        return condition_met(self.condition, answers)


class Option(db.Model):
    __table_args__ = (
        UniqueConstraint("question_id", "code"),
        UniqueConstraint("question_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[dict[str, str]] = mapped_column(JSON)
    position: Mapped[int]
    # "Prefer not to say" and "don't know": kept, but excluded from bases by default.
    is_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    # A heading the option sits under, e.g. the ONS 5-group ethnic_group an ethnicity belongs to.
    group: Mapped[str | None] = mapped_column(String(40))

    question: Mapped[Question] = relationship(back_populates="options")


class Indicator(db.Model):
    """A headline figure defined as data: which codes count, over which base."""

    __table_args__ = (
        UniqueConstraint("questionnaire_key", "key"),
        CheckConstraint("length(key) > 0", name="key_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_key: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(Text)
    # The definition's fields carry IndicatorSpec's names (one vocabulary with the analysis
    # library and indicators.json); the columns keep their original names.
    question: Mapped[str] = mapped_column("question_key", String(40))
    numerator: Mapped[list[str]] = mapped_column("numerator_codes", JSON)
    # Rows in the base must match every entry: {question_key: [codes]}.
    base_filter: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # Codes of the indicator's own question left out of the base (e.g. "prefer not to say").
    excluded: Mapped[list[str]] = mapped_column("excluded_codes", JSON, default=list)
