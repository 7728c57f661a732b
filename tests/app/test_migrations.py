"""The Alembic revisions build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from config import TestingConfig
from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Response, Wave, WeightRun
from survey_app.models.types import utcnow
from survey_app.services import datasets, demo, weighting
from survey_app.services.responses import stored_answers
from survey_app.services.versions import load_version
from tests.support import (
    build_world,
    create_pg_database,
    drop_pg_database,
    postgres_available,
    require,
)

# The table revision 0007 folded into weight_run, as revisions up to 0006 left it.
RESPONSE_WEIGHT = sa.table(
    "response_weight", sa.column("weight_run_id"), sa.column("response_uuid", sa.Uuid), sa.column("weight")
)
# Responses and answers as revisions up to 0008 stored them: one row per answer, choices too.
OLD_RESPONSE = sa.table(
    "response",
    *(sa.column(c) for c in ("wave_id", "school_id", "language", "submitted_on", "completed", "held")),
    sa.column("submission_uuid", sa.Uuid),
)
OLD_ANSWER = sa.table(
    "answer",
    sa.column("response_uuid", sa.Uuid),
    sa.column("question_key"),
    sa.column("option_code"),
    sa.column("text_value"),
)


def _old_responses(wave: Wave, count: int, seed: int) -> dict[uuid.UUID, dict[str, str]]:
    """``count`` synthetic pupils stored as revisions up to 0008 stored them (commits)."""
    rng = random.Random(seed)  # noqa: S311
    version = load_version(wave.version_id)
    ethnicity = [(o.code, o.group) for o in version.question("ethnicity").options if o.group]
    sent = {}
    for i in range(count):
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        sent[key] = demo.pupil_answers(rng, ethnicity) | (
            {"comments": f'note {i}, "quoted"'} if i % 3 else {}
        )
    db.session.execute(
        sa.insert(OLD_RESPONSE),
        [
            {
                "submission_uuid": key,
                "wave_id": wave.id,
                "school_id": wave.schools[0].school_id,
                "language": "en",
                "submitted_on": date.today(),
                "completed": True,
                "held": False,
            }
            for key in sent
        ],
    )
    db.session.execute(
        sa.insert(OLD_ANSWER),
        [
            {
                "response_uuid": key,
                "question_key": question,
                "option_code": None if question == "comments" else value,
                "text_value": value if question == "comments" else None,
            }
            for key, answers in sent.items()
            for question, value in answers.items()
        ],
    )
    db.session.commit()
    return sent


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    require(postgres_available(), "PostgreSQL (TEST_PG_ADMIN_URL)")
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def test_upgrade_on_an_empty_database_matches_the_models(empty_database):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {"response", "answer", "access_code", "wave", "staff_user", "audit_event"} <= tables


def test_postgresql_itself_refuses_to_change_or_delete_audit_rows():
    """As the app's own database user: the trigger the migration installs, not the ORM."""
    require(postgres_available(), "PostgreSQL (TEST_PG_ADMIN_URL)")
    url = create_pg_database()
    try:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_event (occurred_at, action, object_type, "
                        "detail) VALUES (now(), 'login', 'staff_user', '{}')"
                    )
                )
            for statement in (
                "UPDATE audit_event SET action = 'nothing'",
                "DELETE FROM audit_event",
                "TRUNCATE audit_event",
            ):
                with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
                    conn.execute(sa.text(statement))
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT action FROM audit_event")).scalars().all() == ["login"]
            db.engine.dispose()
    finally:
        drop_pg_database(url)


def test_stored_weights_survive_the_move_to_arrays_and_back(empty_database):
    """Revision 0007 converts existing runs: the same weight for the same response, both ways."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0006")
        world = build_world()
        _old_responses(db.session.get(Wave, world.pupil_wave_id), 40, seed=5)
        keys = db.session.scalars(
            sa.select(Response.submission_uuid).order_by(Response.submission_uuid)
        ).all()
        rows = {key: 0.5 + i / 7 for i, key in enumerate(keys)}
        db.session.execute(
            sa.text(
                "INSERT INTO weight_run (id, wave_id, created_at, settings, margins, converged, iterations,"
                " max_error, problem, diagnostics, responses) VALUES (1, :wave, :now, '{}', '[]', true,"
                " 3, 0, '', '{}', :n)"
            ),
            {"wave": world.pupil_wave_id, "now": utcnow(), "n": len(rows)},
        )
        db.session.execute(
            sa.insert(RESPONSE_WEIGHT),
            [{"weight_run_id": 1, "response_uuid": key, "weight": w} for key, w in rows.items()],
        )
        db.session.commit()

        upgrade()
        weights = weighting.weights_of(db.session.get(WeightRun, 1))
        assert weights.to_dict() == {key.hex: w for key, w in rows.items()}
        db.session.remove()  # its locks would block the downgrade's DDL on PostgreSQL

        downgrade(revision="0006")
        back = db.session.execute(sa.select(RESPONSE_WEIGHT.c.response_uuid, RESPONSE_WEIGHT.c.weight)).all()
        assert dict(back) == rows
        db.session.remove()
        db.engine.dispose()


def test_answers_move_onto_their_responses_as_codes_and_back(empty_database):
    """Revision 0009: every answer of every response survives, choices as codes, both ways."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0008")
        world = build_world()
        wave = db.session.get(Wave, world.pupil_wave_id)
        sent = _old_responses(wave, 120, seed=11)
        db.session.remove()

        upgrade()
        assert {key: stored_answers(key) for key in sent} == sent
        frame = datasets.load(db.session.get(Wave, world.pupil_wave_id), include_text=True).frame
        by_key = {str(key).replace("-", ""): answers for key, answers in sent.items()}
        assert frame["ethnicity"].astype(object).where(frame["ethnicity"].notna()).to_dict() == {
            k: a.get("ethnicity") for k, a in by_key.items()
        }
        assert frame["comments"].to_dict() == {k: a.get("comments") for k, a in by_key.items()}
        db.session.remove()

        downgrade(revision="0008")
        back: dict[uuid.UUID, dict[str, str]] = {}
        for key, question, code, text in db.session.execute(sa.select(OLD_ANSWER)):
            back.setdefault(key, {})[question] = code if text is None else text
        assert back == sent
        db.session.remove()
        db.engine.dispose()
