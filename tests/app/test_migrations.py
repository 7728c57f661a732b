"""The Alembic revisions build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from config import TestingConfig
from survey_app import create_app
from survey_app.extensions import db
from tests.support import create_pg_database, drop_pg_database, postgres_available, require


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
