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


def test_production_cookies_are_secure_and_host_prefixed():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.SESSION_COOKIE_HTTPONLY
    assert ProductionConfig.SESSION_COOKIE_NAME.startswith("__Host-")
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_an_unexpected_error_shows_a_generic_page_without_internals(tmp_path, monkeypatch):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/e.sqlite3",
                     TESTING=False, PROPAGATE_EXCEPTIONS=False)

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
