"""Fixtures: one app per session on SQLite (default) or PostgreSQL (TEST_DATABASE_URL=postgresql)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from hypothesis import settings

from config import TestingConfig
from survey_app import create_app
from survey_app.extensions import db, limiter
from tests.support import (
    IN_CI,
    build_world,
    create_pg_database,
    drop_pg_database,
    make_staff,
    populate_pupil_wave,
    postgres_available,
    require,
    sign_in,
)

# CI replays the same examples every run (a red build must be reproducible); elsewhere
# Hypothesis explores new ones, and keeps any failure it finds in .hypothesis/ to replay.
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")

CHROMIUM = "/usr/bin/chromium"
# Flags that keep Chromium quiet on a machine with no outside network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

BACKEND = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if BACKEND == "postgresql":
        if not postgres_available():
            require(False, "PostgreSQL (TEST_PG_ADMIN_URL)")
        url = create_pg_database()
        yield url
        drop_pg_database(url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean(request):
    """Every test that uses the app starts with empty tables and fresh rate-limit counters."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _empty_tables()
        db.session.remove()
    limiter.reset()
    yield


@pytest.fixture
def ctx(app):
    """An application context for tests that call services or query directly."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def world(app):
    with app.app_context():
        built = build_world()
        db.session.remove()
    return built


@pytest.fixture
def wave_id(app, world, staff):
    """The world's pupil wave with 500 synthetic responses and margins, and the two staff."""
    from survey_app.models import Wave

    with app.app_context():
        populate_pupil_wave(db.session.get(Wave, world.pupil_wave_id), 500, seed=7)
        db.session.remove()
    return world.pupil_wave_id


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(app):
    """An admin and an analyst; returns a function giving a signed-in client for a role."""
    with app.app_context():
        make_staff("admin@example.org", "admin")
        make_staff("analyst@example.org", "analyst")
        db.session.remove()

    def client_for(role: str):
        client = app.test_client()
        assert sign_in(client, f"{role}@example.org").status_code == 303
        return client

    return client_for


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (a browser download cannot work here)."""
    require(os.path.exists(CHROMIUM), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
