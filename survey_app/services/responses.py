"""Validating and storing a respondent's answers: exactly once, all or nothing."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import insert, or_, select, update

from survey_app.exceptions import AccessCodeError, InvalidAnswersError, WaveNotAcceptingError
from survey_app.extensions import db
from survey_app.models import (
    AccessCode,
    CodeKind,
    QuestionKind,
    QuestionnaireVersion,
    Response,
    TextAnswer,
    Wave,
    WaveSchool,
)
from survey_app.models.questionnaire import condition_met, localised
from survey_app.models.types import utcnow
from survey_app.services import answer_codes
from survey_app.services.versions import QuestionData, VersionData, load_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """Everything needed to store one response; the code is only counted, never linked."""

    submission_uuid: uuid.UUID
    wave_id: int
    school_id: int | None
    code_id: int | None
    language: str
    answers: Mapping[str, str]


def applicable_questions(version: VersionData, answers: Mapping[str, str]) -> list[QuestionData]:
    """The questions routing asks, in order, given the answers so far."""
    return [q for q in version.questions if q.applies_to(answers)]


@dataclass(frozen=True)
class QuestionRule:
    """What validation needs of a question: plain data, safe to keep between requests."""

    key: str
    wording: str
    is_text: bool
    required: bool
    condition: dict[str, Any] | None
    codes: frozenset[str]

    def check(self, value: str, max_text: int) -> None:
        """Raises unless ``value`` is an allowed answer (SECURITY P-04)."""
        if self.is_text:
            if len(value) > max_text:
                raise InvalidAnswersError(f"Please write no more than {max_text} characters.")
        elif value not in self.codes:
            raise InvalidAnswersError("Please choose one of the answers shown.")


def question_rules(version: QuestionnaireVersion | VersionData) -> tuple[QuestionRule, ...]:
    """The rules of a version; a frozen version's rules never change, so they are kept."""
    if version.frozen_at is None:
        return _rules_of(version)
    return _frozen_rules(version.id, version.frozen_at)


def _rules_of(version: QuestionnaireVersion | VersionData) -> tuple[QuestionRule, ...]:
    return tuple(
        QuestionRule(
            q.key,
            localised(q.wording, "en"),
            q.kind is QuestionKind.TEXT,
            q.required,
            q.condition,
            frozenset(o.code for o in q.options),
        )
        for q in version.questions
    )


@lru_cache(maxsize=32)
def _frozen_rules(version_id: int, frozen_at: datetime) -> tuple[QuestionRule, ...]:
    # Keyed by the freezing moment too, so a database rebuilt with reused ids cannot collide.
    return _rules_of(load_version(version_id))


def clean_answers(
    rules: tuple[QuestionRule, ...], answers: Mapping[str, str], max_text: int
) -> dict[str, str]:
    """Only the answers routing asks for, each checked; raises if a required one is missing.

    Answers to questions that routing now skips (the respondent went back and changed an
    earlier answer) are dropped rather than stored.
    """
    if set(answers) - {rule.key for rule in rules}:
        raise InvalidAnswersError("Some answers do not belong to this survey.")
    cleaned: dict[str, str] = {}
    for rule in rules:
        if not condition_met(rule.condition, cleaned):
            continue
        value = answers.get(rule.key, "")
        if value == "":
            if rule.required:
                raise InvalidAnswersError(f"Please answer: {rule.wording}")
            continue
        rule.check(value, max_text)
        cleaned[rule.key] = value
    return cleaned


def response_exists(submission_uuid: uuid.UUID) -> bool:
    return db.session.get(Response, submission_uuid) is not None


def _count_code_use(code_id: int) -> int:
    """Counts one use of a code atomically, refusing if it has become unusable meanwhile;
    returns the code's uses including this one."""
    now = utcnow()
    uses = db.session.execute(
        update(AccessCode)
        .where(
            AccessCode.id == code_id,
            AccessCode.revoked_at.is_(None),
            or_(AccessCode.expires_at.is_(None), AccessCode.expires_at > now),
            or_(AccessCode.max_uses.is_(None), AccessCode.uses < AccessCode.max_uses),
        )
        .values(uses=AccessCode.uses + 1)
        .returning(AccessCode.uses)
        .execution_options(synchronize_session=False)
    ).scalar()
    if uses is None:
        code = db.session.get(AccessCode, code_id)
        raise AccessCodeError((code and code.unusable_reason(now)) or "This code can no longer be used.")
    return uses


def class_code_cap(wave_id: int, code_id: int) -> int | None:
    """A class code's submissions beyond which responses are held for review (P-41): its
    school's expected pupils × 1.1, rounded up; None for other codes or with no roll set."""
    expected = db.session.scalar(
        select(WaveSchool.expected_pupils)
        .join(
            AccessCode,
            (AccessCode.school_id == WaveSchool.school_id) & (AccessCode.wave_id == WaveSchool.wave_id),
        )
        .where(AccessCode.id == code_id, AccessCode.kind == CodeKind.CLASS, WaveSchool.wave_id == wave_id)
    )
    return math.ceil(expected * 1.1) if expected else None


def count_code_start(code_id: int) -> None:
    """One more survey begun with this code, counted atomically (no timestamp, no link)."""
    db.session.execute(
        update(AccessCode)
        .where(AccessCode.id == code_id)
        .values(starts=AccessCode.starts + 1)
        .execution_options(synchronize_session=False)
    )


def store_response(submission: Submission, *, max_text: int, today: date | None = None) -> bool:
    """Adds a response (its choices as codes on its row) and any free text in the caller's
    transaction.

    Returns False, storing nothing, when a response with this UUID is already stored: a
    double click or a retry is a no-op. A concurrent duplicate that slips past this check is
    stopped by the primary key; the caller rolls back and asks ``response_exists``.
    """
    if response_exists(submission.submission_uuid):
        return False
    wave = db.session.get(Wave, submission.wave_id)
    if wave is None:
        raise WaveNotAcceptingError("This survey no longer exists.")
    reason = wave.not_accepting_reason()
    if reason:
        raise WaveNotAcceptingError(reason)
    version = wave.version
    language = submission.language if submission.language in version.languages else "en"
    rules = question_rules(version)
    answers = clean_answers(rules, submission.answers, max_text)
    text_keys = {rule.key for rule in rules if rule.is_text}
    if not answers:
        raise InvalidAnswersError("Please answer at least one question before sending.")
    held = False
    if submission.code_id is not None:
        uses, cap = _count_code_use(submission.code_id), class_code_cap(wave.id, submission.code_id)
        held = cap is not None and uses > cap
    frozen_at = version.frozen_at.timestamp() if version.frozen_at else None
    choices = answer_codes.choice_questions(load_version(version.id, frozen_at))
    db.session.execute(
        insert(Response),
        [
            {
                "submission_uuid": submission.submission_uuid,
                "wave_id": wave.id,
                "school_id": submission.school_id,
                "language": language,
                "submitted_on": today or utcnow().date(),
                "completed": True,
                "held": held,
                "answer_codes": answer_codes.encode(choices, answers),
            }
        ],
    )
    texts = [
        {"response_uuid": submission.submission_uuid, "question_key": key, "text_value": value}
        for key, value in answers.items()
        if key in text_keys
    ]
    if texts:
        db.session.execute(insert(TextAnswer), texts)
    if held:
        log.warning("held a response for review in wave %s: its class code is past its cap", wave.id)
    log.info("stored a response for wave %s", wave.id)
    return True


def stored_answers(submission_uuid: uuid.UUID) -> dict[str, str]:
    """A stored response's answers as it sent them (option codes and free text), by question key."""
    row = db.session.execute(
        select(Wave.version_id, Response.answer_codes)
        .join(Wave, Wave.id == Response.wave_id)
        .where(Response.submission_uuid == submission_uuid)
    ).first()
    if row is None:
        return {}
    answers = answer_codes.decode(answer_codes.choice_questions(load_version(row[0])), row[1])
    texts = select(TextAnswer.question_key, TextAnswer.text_value).where(
        TextAnswer.response_uuid == submission_uuid
    )
    answers.update(db.session.execute(texts).all())
    return answers
