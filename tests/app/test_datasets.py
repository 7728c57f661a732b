"""A wave as one DataFrame (issue 9): exactly the stored answers, one row per response that
counts, a constant number of queries, and the same result however it is chunked."""

from __future__ import annotations

import random
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from config import TestingConfig
from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Response, TextAnswer, Wave
from survey_app.services import bulk, datasets
from survey_app.services.responses import stored_answers
from tests.support import (
    build_world,
    create_pg_database,
    drop_pg_database,
    later_wave,
    populate_pupil_wave,
    postgres_available,
    require,
    synthetic_responses,
)

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


def _insert_responses(wave: Wave, count: int, seed: int) -> None:
    db.session.execute(sa.insert(Response), synthetic_responses(wave, count, random.Random(seed)))  # noqa: S311
    db.session.commit()


def _load_plans(wave: Wave) -> tuple[int, dict[str, dict]]:
    """The rows a load of the wave returns and the executed plan of every query it runs."""
    statements = []
    listener = lambda _c, _cur, statement, parameters, *_: statements.append((statement, parameters))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows = len(datasets.load(wave, include_text=True).frame)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    cursor = db.session.connection().connection.driver_connection.cursor()
    plans = {}
    for statement, parameters in statements:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
        plans[statement] = cursor.fetchone()[0][0]["Plan"]
    return rows, plans


def _blocks(plans: dict[str, dict]) -> int:
    return sum(plan["Shared Hit Blocks"] + plan["Shared Read Blocks"] for plan in plans.values())


def test_a_new_wave_reads_as_cheaply_before_the_planner_has_seen_it_as_after():
    """Issue 23: PostgreSQL re-analyses a table only after ~10% of its rows change, so a new
    wave beside an older, larger one is estimated at one row. Loading it then must cost what
    it costs once ANALYZE has run: no plan whose work grows with the square of the wave."""
    require(postgres_available(), "PostgreSQL (TEST_PG_ADMIN_URL)")
    url = create_pg_database()
    try:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            db.create_all()
            db.session.execute(sa.text("ALTER TABLE response SET (autovacuum_enabled = false)"))
            db.session.execute(sa.text("ALTER TABLE answer SET (autovacuum_enabled = false)"))
            first = db.session.get(Wave, build_world().pupil_wave_id)
            _insert_responses(first, 6000, seed=1)
            db.session.execute(sa.text("ANALYZE"))
            second = later_wave(first, "Second wave", 0, seed=2)
            _insert_responses(second, 2000, seed=3)

            rows, stale = _load_plans(second)
            (scan,) = (plan for statement, plan in stale.items() if "answer_codes" in statement)
            assert rows == 2000
            assert scan["Plan Rows"] < 20  # the planner has not seen the new wave
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            rows_after, analysed = _load_plans(second)
            assert rows_after == rows
            assert _blocks(stale) <= 2 * _blocks(analysed), (_blocks(stale), _blocks(analysed))
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_pg_database(url)
