"""The Alembic revisions build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

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
from survey_app.services import weighting
from tests.support import (
    build_world,
    create_pg_database,
    drop_pg_database,
    populate_pupil_wave,
    postgres_available,
    require,
)

# The table revision 0007 folded into weight_run, as revisions up to 0006 left it.
RESPONSE_WEIGHT = sa.table(
    "response_weight", sa.column("weight_run_id"), sa.column("response_uuid", sa.Uuid), sa.column("weight")
)


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
        populate_pupil_wave(db.session.get(Wave, world.pupil_wave_id), 40, seed=5)
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
