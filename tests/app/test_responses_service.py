"""store_response and clean_answers: allow-listed, routed, exactly once, all or nothing."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from survey_app.exceptions import AccessCodeError, InvalidAnswersError, WaveNotAcceptingError
from survey_app.extensions import db
from survey_app.models import AccessCode, Response, TextAnswer, Wave
from survey_app.services.responses import (
    Submission,
    clean_answers,
    load_version,
    question_rules,
    store_response,
)
from tests.support import AWARE_PUPIL, stored_answers


def _submission(world, answers=AWARE_PUPIL, code: str | None = None, **changes) -> Submission:
    code_id = db.session.scalar(sa.select(AccessCode.id).where(AccessCode.code == (code or world.class_code)))
    fields = dict(
        submission_uuid=uuid.uuid4(),
        wave_id=world.pupil_wave_id,
        school_id=world.school_id,
        code_id=code_id,
        language="en",
        answers=answers,
    )
    return Submission(**(fields | changes))


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def version(ctx, world):
    return question_rules(load_version(db.session.get(Wave, world.pupil_wave_id).version_id))


def test_clean_answers_drops_answers_routing_skips(version):
    cleaned = clean_answers(version, {**AWARE_PUPIL, "aware_sso": "no"}, 1000)
    assert "felt_safety" not in cleaned and cleaned["aware_sso"] == "no"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({**AWARE_PUPIL, "year_group": "year_6"}, "Please choose one of the answers shown."),
        ({**AWARE_PUPIL, "shoe_size": "9"}, "do not belong to this survey"),
        ({k: v for k, v in AWARE_PUPIL.items() if k != "aware_sso"}, "Please answer: Does your school"),
        ({**AWARE_PUPIL, "comments": "z" * 1001}, "no more than 1000 characters"),
    ],
)
def test_clean_answers_refuses_what_the_questionnaire_does_not_allow(version, answers, message):
    with pytest.raises(InvalidAnswersError, match=message):
        clean_answers(version, answers, 1000)


def test_optional_sensitive_questions_may_be_left_out(version):
    answers = {k: v for k, v in AWARE_PUPIL.items() if k not in ("ethnicity", "send", "gender")}
    assert "ethnicity" not in clean_answers(version, answers, 1000)


def test_store_is_exactly_once_per_uuid(ctx, world):
    submission = _submission(world)
    assert store_response(submission, max_text=1000) is True
    db.session.commit()
    assert store_response(submission, max_text=1000) is False
    db.session.commit()
    assert stored_answers() == [AWARE_PUPIL]


def test_a_failure_part_way_leaves_nothing_and_a_retry_stores_once(ctx, world, monkeypatch):
    """P-02: the answers insert fails after the response row was written."""
    submission = _submission(world)
    real_execute = db.session.execute
    calls = {"n": 0}

    def failing_execute(statement, *args, **kwargs):
        if getattr(getattr(statement, "table", None), "name", "") == "answer" and not calls["n"]:
            calls["n"] += 1
            raise RuntimeError("disk full")
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", failing_execute)
    with pytest.raises(RuntimeError):
        store_response(submission, max_text=1000)
    db.session.rollback()
    assert _count(Response) == 0 and _count(TextAnswer) == 0
    assert store_response(submission, max_text=1000) is True
    db.session.commit()
    assert stored_answers() == [AWARE_PUPIL]


def test_single_use_code_is_consumed_in_the_same_transaction(ctx, world):
    public = {
        "age_band": "16_24",
        "borough": "E09000012",
        "parent_of_pupil": "no",
        "heard_of_sso": "no",
        "support_sso": "neither",
        "police_good_job": "fair",
    }
    code = world.invitation_codes[1]
    first = _submission(world, public, code=code, wave_id=world.public_wave_id, school_id=None)
    store_response(first, max_text=1000)
    db.session.commit()
    second = _submission(world, public, code=code, wave_id=world.public_wave_id, school_id=None)
    with pytest.raises(AccessCodeError, match="already been used"):
        store_response(second, max_text=1000)
    db.session.rollback()
    assert _count(Response) == 1
    used = db.session.scalar(sa.select(AccessCode).where(AccessCode.code == code))
    assert used.uses == 1


def test_a_revoked_class_code_stops_counting_and_storing(ctx, world):
    code = db.session.scalar(sa.select(AccessCode).where(AccessCode.code == world.class_code))
    code.revoked_at = code.wave.opens_at
    db.session.commit()
    with pytest.raises(AccessCodeError, match="cancelled"):
        store_response(_submission(world), max_text=1000)
    db.session.rollback()
    assert _count(Response) == 0


def test_a_closed_wave_refuses_responses(ctx, world):
    db.session.get(Wave, world.pupil_wave_id).close()
    db.session.commit()
    with pytest.raises(WaveNotAcceptingError, match="closed"):
        store_response(_submission(world), max_text=1000)


def test_an_empty_response_is_refused(ctx, world, version):
    optional_only = {}
    with pytest.raises(InvalidAnswersError):
        store_response(_submission(world, optional_only), max_text=1000)


def test_answers_are_written_with_one_bulk_insert(ctx, world, monkeypatch):
    inserts = []
    real_execute = db.session.execute

    def counting_execute(statement, *args, **kwargs):
        if getattr(statement, "is_insert", False):
            inserts.append(statement.table.name)
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", counting_execute)
    store_response(_submission(world), max_text=1000)
    assert inserts == ["response", "answer"]
    assert _count(Response) == 1
