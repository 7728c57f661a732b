"""Questionnaire versions as immutable plain data, for the pages a respondent walks through.

A frozen version can never change (editing one is refused), so each process keeps it after the
first request that needs it: a question page then costs one primary-key lookup, not the three
queries and ORM work of loading questions and options. The cache is keyed by the version *and*
the moment it was frozen, so an editable version is never cached, a version frozen later is
read afresh, and a database rebuilt with reused ids cannot collide. Every worker reads the same
immutable rows, so several workers behave exactly like one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.models import Question, QuestionKind, QuestionnaireVersion
from survey_app.models.questionnaire import condition_met


@dataclass(frozen=True, slots=True)
class OptionData:
    code: str
    label: Mapping[str, str]
    group: str | None
    is_missing: bool


@dataclass(frozen=True, slots=True)
class QuestionData:
    key: str
    position: int
    kind: QuestionKind
    wording: Mapping[str, str]
    hint: Mapping[str, str]
    required: bool
    condition: Mapping[str, Any] | None
    sensitive: bool
    options: tuple[OptionData, ...]

    def applies_to(self, answers: Mapping[str, str]) -> bool:
        return condition_met(self.condition, answers)


@dataclass(frozen=True, slots=True)
class VersionData:
    id: int
    number: int
    languages: tuple[str, ...]
    frozen_at: datetime | None
    questions: tuple[QuestionData, ...]
    by_key: Mapping[str, QuestionData] = field(repr=False, compare=False)

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def question(self, key: str) -> QuestionData | None:
        return self.by_key.get(key)


def load_version(version_id: int, frozen_at: float | None = None) -> VersionData:
    """The version a respondent answers; frozen ones from this process's cache.

    ``frozen_at`` (the POSIX time the version was frozen, carried in the respondent's signed
    draft) spares even the lookup: a question page then needs no query at all.
    """
    if frozen_at is None:
        stamp = db.session.scalar(
            select(QuestionnaireVersion.frozen_at).where(QuestionnaireVersion.id == version_id)
        )
        if stamp is None:
            return _read(version_id)
        frozen_at = stamp.timestamp()
    try:
        return _frozen(version_id, frozen_at)
    except _NotThatVersion:  # e.g. a database rebuilt under a live draft: never cached
        return _read(version_id)


class _NotThatVersion(Exception):
    pass


@lru_cache(maxsize=64)
def _frozen(version_id: int, frozen_at: float) -> VersionData:
    version = _read(version_id)
    if version.frozen_at is None or version.frozen_at.timestamp() != frozen_at:
        raise _NotThatVersion
    return version


def _read(version_id: int) -> VersionData:
    version = db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.id == version_id)
        .options(selectinload(QuestionnaireVersion.questions).selectinload(Question.options))
    ).one()
    questions = tuple(_question(q) for q in version.questions)
    return VersionData(
        version.id,
        version.number,
        tuple(version.languages),
        version.frozen_at,
        questions,
        MappingProxyType({q.key: q for q in questions}),
    )


def _question(question: Question) -> QuestionData:
    condition = question.condition
    return QuestionData(
        question.key,
        question.position,
        question.kind,
        MappingProxyType(dict(question.wording)),
        MappingProxyType(dict(question.hint or {})),
        question.required,
        MappingProxyType({**condition, "in": tuple(condition["in"])}) if condition else None,
        question.sensitive,
        tuple(
            OptionData(o.code, MappingProxyType(dict(o.label)), o.group, o.is_missing)
            for o in question.options
        ),
    )
