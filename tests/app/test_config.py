"""Configuration guards and the generic error page (DESIGN §9, SECURITY P-32)."""

from __future__ import annotations

import pytest

from config import ProductionConfig, TestingConfig
from survey_app import create_app


def test_production_refuses_to_start_without_a_real_secret_and_postgresql(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db/surveys")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite3")
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("storage", ["", "memory://", "memcached://127.0.0.1:11211"])
def test_production_refuses_rate_limits_that_do_not_hold_across_workers(monkeypatch, storage):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db/surveys")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    with pytest.raises(RuntimeError, match="Redis"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("queue", ["", "memory://"])
def test_production_refuses_to_weigh_inside_web_workers(monkeypatch, queue):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db/surveys")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("JOB_QUEUE_URL", queue)
    with pytest.raises(RuntimeError, match="JOB_QUEUE_URL"):
        create_app(ProductionConfig)


def test_behind_one_proxy_the_client_address_is_the_one_nginx_saw_not_a_forged_one(tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.sqlite3", PROXY_HOPS=1)

    @app.get("/whoami")
    def whoami():
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    from survey_app.access import POLICY, PUBLIC

    POLICY["whoami"] = PUBLIC
    try:
        # The client forged the first entry; nginx appended (in deploy/, replaced) its own.
        response = app.test_client().get(
            "/whoami", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Forwarded-Proto": "https"}
        )
    finally:
        del POLICY["whoami"]
    assert response.get_data(as_text=True) == "203.0.113.7 https"


def test_production_cookies_are_secure_and_host_prefixed():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.SESSION_COOKIE_HTTPONLY
    assert ProductionConfig.SESSION_COOKIE_NAME.startswith("__Host-")
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_an_unexpected_error_shows_a_generic_page_without_internals(tmp_path, monkeypatch):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/e.sqlite3",
        TESTING=False,
        PROPAGATE_EXCEPTIONS=False,
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals: SELECT * FROM staff_user")

    from survey_app.access import POLICY, PUBLIC

    monkeypatch.setitem(POLICY, "boom", PUBLIC)
    response = app.test_client().get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in text
    assert "secret internals" not in text and "Traceback" not in text
