"""Anonymity by construction (SECURITY P-06 to P-09, P-11)."""

from __future__ import annotations

import logging
import uuid
from datetime import date

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import Response, TextAnswer
from tests.support import AWARE_PUPIL, Walker, stored_answers

RESPONSE_COLUMNS = {
    "submission_uuid",
    "wave_id",
    "school_id",
    "language",
    "submitted_on",
    "completed",
    "held",
    "answer_codes",
}
ANSWER_COLUMNS = {"response_uuid", "question_key", "text_value"}


def test_response_tables_hold_only_allowed_columns(app):
    with app.app_context():
        inspector = sa.inspect(db.engine)
        assert {c["name"] for c in inspector.get_columns("response")} == RESPONSE_COLUMNS
        assert {c["name"] for c in inspector.get_columns("answer")} == ANSWER_COLUMNS


def test_no_response_table_refers_to_access_codes(app):
    with app.app_context():
        inspector = sa.inspect(db.engine)
        for table in ("response", "answer"):
            targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
            assert "access_code" not in targets, table


def _dump(app) -> str:
    with app.app_context(), db.engine.connect() as conn:
        return "\n".join(
            repr(row) for table in db.metadata.sorted_tables for row in conn.execute(sa.select(table))
        )


def test_stored_data_has_no_ip_user_agent_or_code_with_the_response(app, world):
    client = app.test_client()
    client.environ_base.update(
        REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="DistinctiveAgent/9.9 (Chromebook)"
    )
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    walker.send()
    dump = _dump(app)
    assert "203.0.113.77" not in dump and "DistinctiveAgent" not in dump
    with app.app_context(), db.engine.connect() as conn:
        rows = [
            repr(r) for t in ("response", "answer") for r in conn.execute(sa.select(db.metadata.tables[t]))
        ]
    assert rows and not any(world.class_code in row for row in rows)


def test_submission_time_is_kept_to_the_day(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    walker.send()
    with app.app_context():
        stored = db.session.scalars(sa.select(Response)).one()
        assert type(stored.submitted_on) is date
        assert uuid.UUID(str(stored.submission_uuid)).version == 4


def test_logs_never_hold_answers_codes_or_response_ids(app, client, world, caplog):
    caplog.set_level(logging.DEBUG)
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    submission_uuid = walker.submission_uuid()
    walker.send(submission_uuid)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "stored a response" in text  # the log is really captured
    for secret in (world.class_code, submission_uuid, AWARE_PUPIL["comments"], "black_caribbean"):
        assert secret not in text


def test_comments_are_stored_as_text_not_as_option_codes(app, client, world):
    walker = Walker(client)
    walker.answer_all(walker.start_pupil(world.class_code), AWARE_PUPIL)
    walker.send()
    with app.app_context():
        comment = db.session.scalars(sa.select(TextAnswer)).one()
        assert comment.question_key == "comments" and comment.text_value == AWARE_PUPIL["comments"]
        assert stored_answers() == [AWARE_PUPIL]


def test_the_privacy_notice_comes_before_the_first_question(client, world):
    walker = Walker(client)
    walker.enter_code(world.class_code)
    walker.post("/next", token_from="/")
    page = client.get("/privacy").get_data(as_text=True)
    assert "anonymous" in page and "will <strong>not</strong> see your answers" in page
    assert client.get("/q/year_group").headers["Location"] == "/privacy"  # no skipping it
