"""Invariants the models and the database hold on their own."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from survey_app.exceptions import FrozenVersionError, InvalidTransitionError
from survey_app.extensions import db
from survey_app.models import AccessCode, Response, TextAnswer, Wave, WaveState
from survey_app.models.questionnaire import localised


def _wave(world) -> Wave:
    return db.session.get(Wave, world.pupil_wave_id)


def test_wave_lifecycle_allows_only_its_transitions(ctx, world):
    wave = _wave(world)
    with pytest.raises(InvalidTransitionError, match="cannot become open"):
        wave.open()
    wave.close()
    wave.publish()
    assert wave.state is WaveState.PUBLISHED
    for move in (wave.open, wave.close, wave.publish):
        with pytest.raises(InvalidTransitionError):
            move()


def test_opening_a_wave_freezes_its_questionnaire_version(ctx, world):
    version = _wave(world).version
    assert version.is_frozen
    with pytest.raises(FrozenVersionError, match="Create a new version"):
        version.ensure_editable()


def test_wave_accepts_only_between_its_dates_while_open(ctx, world):
    wave = _wave(world)
    assert wave.accepting_at(wave.opens_at)
    assert not wave.accepting_at(wave.opens_at - timedelta(seconds=1))
    assert not wave.accepting_at(wave.closes_at)


def test_database_refuses_a_wave_that_closes_before_it_opens(ctx, world):
    wave = _wave(world)
    wave.closes_at = wave.opens_at - timedelta(days=1)
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_database_refuses_more_uses_than_a_code_allows(ctx, world):
    code = db.session.scalar(sa.select(AccessCode).where(AccessCode.code == world.invitation_codes[0]))
    code.uses = 2
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_database_refuses_a_duplicate_submission_uuid(ctx, world):
    key = uuid.uuid4()
    row = {
        "wave_id": world.pupil_wave_id,
        "school_id": None,
        "language": "en",
        "submitted_on": date.today(),
        "completed": True,
        "answer_codes": b"",
    }
    db.session.add(Response(submission_uuid=key, **row))
    db.session.flush()
    db.session.add(Response(submission_uuid=key, **row))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_database_refuses_a_response_without_answer_codes_or_a_text_answer_without_text(ctx, world):
    key = uuid.uuid4()
    row = {"wave_id": world.pupil_wave_id, "language": "en", "submitted_on": date.today(), "completed": True}
    db.session.add(Response(submission_uuid=key, **row))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(Response(submission_uuid=key, answer_codes=b"", **row))
    db.session.flush()
    db.session.add(TextAnswer(response_uuid=key, question_key="comments"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_code_reasons_are_in_plain_words(ctx, world):
    code = db.session.scalar(sa.select(AccessCode).where(AccessCode.code == world.class_code))
    assert code.unusable_reason() is None
    code.expires_at = code.wave.opens_at
    assert "expired" in code.unusable_reason()


def test_localised_falls_back_to_english():
    assert localised({"en": "Yes", "pl": "Tak"}, "pl") == "Tak"
    assert localised({"en": "Yes"}, "so") == "Yes"
