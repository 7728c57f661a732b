"""A wave as one DataFrame (issue 9): exactly the stored answers, one row per response that
counts, a constant number of queries, and the same result however it is chunked."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from survey_app.extensions import db
from survey_app.models import Response, TextAnswer, Wave
from survey_app.services import bulk, datasets
from survey_app.services.responses import stored_answers
from tests.support import populate_pupil_wave

AWKWARD_TEXT = 'He said "stop", then left;\nI felt, honestly, watched = 1+1'


def _reference(wave: Wave) -> dict[str, dict[str, str]]:
    """Every counted response's answers, read one response at a time the slow, obvious way."""
    keys = db.session.scalars(
        sa.select(Response.submission_uuid).where(Response.wave_id == wave.id, ~Response.held)
    )
    return {str(key): stored_answers(key) for key in keys}


def _as_answers(frame: pd.DataFrame, columns: list[str]) -> dict[str, dict[str, str]]:
    return {
        str(uuid.UUID(key)): {c: row[c] for c in columns if not pd.isna(row[c])}
        for key, row in frame[columns].astype(object).iterrows()
    }


@pytest.fixture
def wave(app, world):
    with app.app_context():
        wave = db.session.get(Wave, world.pupil_wave_id)
        populate_pupil_wave(wave, 120, seed=3)
        first, second = db.session.scalars(sa.select(Response).where(Response.wave_id == wave.id).limit(2))
        first.held = True  # past its code's cap: kept, never counted
        comment = db.session.get(TextAnswer, (second.submission_uuid, "comments"))
        if comment is None:
            db.session.add(
                TextAnswer(
                    response_uuid=second.submission_uuid, question_key="comments", text_value=AWKWARD_TEXT
                )
            )
        else:
            comment.text_value = AWKWARD_TEXT
        db.session.commit()
        db.session.remove()
    return world.pupil_wave_id


def test_the_frame_holds_exactly_the_stored_answers_of_counted_responses(app, wave):
    with app.app_context():
        wave = db.session.get(Wave, wave)
        expected = _reference(wave)
        with_text = datasets.load(wave, include_text=True)
        questions = [q.key for q in wave.version.questions]
        assert _as_answers(with_text.frame, questions) == expected
        assert len(with_text.frame) == len(expected) == 119
        assert AWKWARD_TEXT in set(with_text.frame["comments"].dropna())  # quotes, commas, newline

        without = datasets.load(wave).frame
        assert "comments" not in without and "comments" in datasets.load(wave).text_columns
        coded = [q for q in questions if q != "comments"]
        assert all(isinstance(without[c].dtype, pd.CategoricalDtype) for c in coded)
        assert list(without["gender"].cat.categories) == [
            o.code for o in wave.version.question("gender").options
        ]
        # Design columns: each school's borough and selection weight beside the answers.
        assert without["borough"].notna().all() and (without["base_weight"] > 0).all()


def test_reading_in_small_chunks_gives_the_same_frame(app, wave, monkeypatch):
    with app.app_context():
        wave = db.session.get(Wave, wave)
        whole = datasets.load(wave, include_text=True).frame
        monkeypatch.setattr(bulk, "CHUNK_ROWS", 7)
        chunked = datasets.load(wave, include_text=True).frame
        pd.testing.assert_frame_equal(whole, chunked)


def test_loading_takes_the_same_number_of_queries_whatever_the_size(app, world):
    def queries_to_load(responses: int) -> int:
        wave = db.session.get(Wave, world.pupil_wave_id)
        populate_pupil_wave(wave, responses, seed=responses, margins=())
        stored = db.session.scalar(sa.select(sa.func.count()).where(Response.wave_id == wave.id))
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            loaded = len(datasets.load(wave).frame)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert loaded == stored
        return len(statements)

    with app.app_context():
        datasets.load(db.session.get(Wave, world.pupil_wave_id))  # warm the version cache
        # The version's frozen stamp (one primary-key lookup), the one scan of the wave's
        # responses, their newest day, and the schools' boroughs and weights.
        assert queries_to_load(5) == queries_to_load(300) <= 4
