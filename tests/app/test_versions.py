"""Frozen questionnaire versions are kept per process as immutable data, never served stale."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import Wave
from survey_app.services import questionnaires
from survey_app.services.versions import load_version


def _statements(action) -> int:
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_a_frozen_version_costs_one_indexed_lookup_after_the_first_read(app, world):
    with app.app_context():
        version_id = db.session.get(Wave, world.pupil_wave_id).version_id
        db.session.remove()
        load_version(version_id)
        assert _statements(lambda: load_version(version_id)) == 1
        assert load_version(version_id) is load_version(version_id)


def test_an_editable_version_is_read_afresh_and_freezing_it_is_seen(app, world):
    with app.app_context():
        used = db.session.get(Wave, world.pupil_wave_id).version
        copy = questionnaires.copy_version(used)
        db.session.commit()
        first = load_version(copy.id)
        assert not first.is_frozen
        labels = [o.label["en"] for o in copy.question("gender").options]
        questionnaires.update_question(
            copy, "gender", "en", "Which words describe you?", "", labels, False, None
        )
        db.session.commit()
        assert load_version(copy.id).question("gender").wording["en"] == "Which words describe you?"
        copy.freeze()
        db.session.commit()
        frozen = load_version(copy.id)
        assert frozen.is_frozen and frozen.question("gender").wording["en"] == "Which words describe you?"


def test_the_kept_version_cannot_be_changed_by_a_request(app, world):
    with app.app_context():
        version = load_version(db.session.get(Wave, world.pupil_wave_id).version_id)
        question = version.question("felt_safety")
        with pytest.raises(dataclasses.FrozenInstanceError):
            question.required = False
        with pytest.raises(TypeError):
            question.wording["en"] = "changed"
        with pytest.raises(TypeError):
            question.options[0].label["en"] = "changed"
        assert isinstance(question.options, tuple)


def test_a_question_page_needs_no_query_once_the_version_is_kept(app, client, world):
    from tests.support import Walker

    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    client.get(first)
    with app.app_context():
        count = _statements(lambda: client.get(first))
    assert count == 0


def test_reading_a_question_page_neither_rewrites_the_cookie_nor_consults_the_limiter(app, client, world):
    """Re-signing the session on every read was a sixth of a page's CPU (Flask-Login's strong
    session protection, run for every template); reads are never rate limited."""
    from tests.support import Walker

    walker = Walker(client)
    first = walker.start_pupil(world.class_code)
    response = client.get(first)
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    assert "X-RateLimit-Limit" not in response.headers
    answered = walker.post(first, {"answer": "year_9"})
    assert answered.status_code == 303
    assert any(c.startswith("session=") for c in answered.headers.getlist("Set-Cookie"))


def test_a_draft_naming_another_freezing_moment_is_read_afresh_not_cached(app, world):
    with app.app_context():
        version_id = db.session.get(Wave, world.pupil_wave_id).version_id
        real = load_version(version_id)
        other = load_version(version_id, real.frozen_at.timestamp() - 60)
        assert other == real and other is not real
        assert load_version(version_id, real.frozen_at.timestamp()) is real
