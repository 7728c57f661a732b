"""Staff accounts and sessions (SECURITY P-15, P-16, P-30, P-31)."""

from __future__ import annotations

import logging
import time
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import AuditEvent, Role, StaffUser
from survey_app.services.staff import PasswordPolicyError, check_password, create_user
from tests.support import STAFF_PASSWORD, csrf_token, sign_in


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "at least 12"),
        ("x" * 129, "no more than 128"),
        ("password1234", "commonly used"),
        ("qwertyuiop123", "commonly used|easy to guess"),
        ("jane.smith2026!", "must not contain your email"),
        ("aaaaaaaaaaaaaaaa", "easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, reason):
    with pytest.raises(PasswordPolicyError, match=reason):
        check_password(password, "jane.smith@example.org")


def test_a_long_passphrase_is_accepted_and_stored_as_argon2id(ctx):
    check_password(STAFF_PASSWORD, "someone@example.org")
    user, _ = create_user("Someone@Example.org", Role.ANALYST, STAFF_PASSWORD)
    assert user.email == "someone@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in user.password_hash


def test_generated_passwords_pass_the_policy(ctx):
    _, password = create_user("gen@example.org", Role.ADMIN)
    check_password(password, "gen@example.org")


def test_there_is_no_default_account_and_the_demo_prints_generated_passwords(app):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == 0
    output = app.test_cli_runner().invoke(args=["demo"]).output
    assert "admin@demo.invalid" in output and "analyst@demo.invalid" in output
    password = output.split("admin@demo.invalid")[1].split()[0]
    assert len(password) >= 20
    assert sign_in(app.test_client(), "admin@demo.invalid", password).status_code == 303


def test_users_cli_creates_an_account_from_stdin(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "new@example.org", "--role", "analyst", "--password-stdin"],
        input=STAFF_PASSWORD + "\n",
    )
    assert result.exit_code == 0 and STAFF_PASSWORD not in result.output
    weak = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "weak@example.org", "--role", "admin", "--password-stdin"],
        input="password\n",
    )
    assert weak.exit_code != 0 and "at least 12" in weak.output


def test_sign_in_makes_a_new_session_and_is_audited(app, staff):
    client = app.test_client()
    client.get("/staff/login")
    before = client.get_cookie("session").value
    assert sign_in(client, "admin@example.org").headers["Location"] == "/admin/"
    assert client.get_cookie("session").value != before
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    assert "login" in actions


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app, staff):
    response = sign_in(app.test_client(), "admin@example.org", "not the password at all")
    assert response.status_code == 401
    assert "email address or password is not right" in response.get_data(as_text=True)
    unknown = sign_in(app.test_client(), "nobody@example.org", "not the password at all")
    assert unknown.get_data(as_text=True).count("is not right") == 1


def test_repeated_failures_for_one_account_are_throttled(app, staff):
    statuses = [
        sign_in(app.test_client(), "admin@example.org", f"wrong guess {i}").status_code for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_logout_kills_the_session_everywhere(app, staff):
    client = staff("admin")
    stolen = client.get_cookie("session").value
    html = client.get("/admin/").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf_token(html)})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/admin/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_idle_staff_sessions_end_after_30_minutes(app, staff, monkeypatch):
    client = staff("admin")
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


TRICKY_NEXT = [
    "//evil.example/",
    "/%09/evil.example/",
    "/%0a/evil.example/",
    "/%0d/evil.example",
    "/\\evil.example/",
    "\\\\evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "///evil.example",
    "/%20/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    " //evil.example",
    "/\t/evil.example",
    "/%E3%80%80/evil.example",
    "/%7F/evil.example",
]


def _where_a_browser_goes(location: str) -> str:
    """The host a browser reaches from a Location header: it drops tabs and newlines and
    reads a backslash as a slash (WHATWG URL parsing)."""
    cleaned = "".join(c for c in location if c not in "\t\n\r").replace("\\", "/")
    return urlsplit(urljoin("https://surveys.example/staff/login", cleaned)).netloc


@pytest.mark.parametrize("target", TRICKY_NEXT)
def test_next_parameter_cannot_send_staff_to_another_site(app, staff, target):
    client = app.test_client()
    page = client.get(f"/staff/login?next={target}")
    if page.status_code == 400:  # control characters: the address itself is refused
        return
    html = page.get_data(as_text=True)
    response = client.post(
        f"/staff/login?next={target}",
        data={"csrf_token": csrf_token(html), "email": "admin@example.org", "password": STAFF_PASSWORD},
    )
    assert response.status_code == 303
    assert _where_a_browser_goes(response.headers["Location"]) == "surveys.example", target


def test_next_parameter_still_returns_staff_to_the_page_they_asked_for(app, staff):
    client = app.test_client()
    html = client.get("/staff/login?next=/admin/schools").get_data(as_text=True)
    response = client.post(
        "/staff/login?next=/admin/schools",
        data={"csrf_token": csrf_token(html), "email": "admin@example.org", "password": STAFF_PASSWORD},
    )
    assert response.headers["Location"] == "/admin/schools"


def test_log_lines_cannot_be_forged_through_the_email_field(app, staff, caplog):
    caplog.set_level(logging.INFO, logger="survey_app.audit")
    client = staff("admin")
    html = client.get("/admin/").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf_token(html)})
    sign_in(app.test_client(), "x@example.org\nINFO audit 'login' by 'root'", "nope nope nope")
    assert all("\n" not in record.getMessage() for record in caplog.records)
    assert any("logout" in record.getMessage() for record in caplog.records)


def test_audit_rows_cannot_be_changed_or_deleted(ctx):
    from survey_app.services.audit import record

    entry = record(None, "test", "thing", 1)
    db.session.commit()
    entry.action = "rewritten"
    with pytest.raises(PermissionError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, entry.id))
    with pytest.raises(PermissionError):
        db.session.flush()
