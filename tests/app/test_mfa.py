"""Staff second factor (P-15, issue 10): enrolment with a QR code and recovery codes, then
every sign-in needs a current code; codes work once; recovery codes work once."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import StaffUser
from tests.support import STAFF_PASSWORD, csrf_token, sign_in


@pytest.fixture
def required(app, staff, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_MFA_REQUIRED", True)


def _post_code(client, path: str, code: str):
    html = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(html), "code": code})


def _enrol(app) -> tuple[str, list[str]]:
    client = app.test_client()
    response = sign_in(client, "admin@example.org")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/set-up-code"
    page = client.get("/staff/set-up-code").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'<code class="wrap">([A-Z2-7]+)</code>', page).group(1)
    assert client.get("/admin/").status_code == 302  # not signed in until enrolled
    assert _post_code(client, "/staff/set-up-code", "000000").status_code == 401
    done = _post_code(client, "/staff/set-up-code", pyotp.TOTP(secret).now())
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    assert client.get("/admin/").status_code == 200
    return secret, codes


def test_an_admin_must_enrol_then_signs_in_with_a_generated_code(app, required):
    secret, _ = _enrol(app)
    with app.app_context():
        stored = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "admin@example.org"))
        assert stored.totp_secret == secret
        assert all(h.startswith("$argon2id$") for h in stored.recovery_codes)
    client = app.test_client()
    assert sign_in(client, "admin@example.org").headers["Location"] == "/staff/code"
    assert client.get("/admin/").status_code == 302
    assert _post_code(client, "/staff/code", "123456").status_code == 401
    # The code of the next 30-second step: the one just used at enrolment cannot be replayed.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    signed_in = _post_code(client, "/staff/code", code)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/admin/"
    again = app.test_client()
    sign_in(again, "admin@example.org")
    assert _post_code(again, "/staff/code", code).status_code == 401  # used once already


def test_a_recovery_code_signs_in_once(app, required):
    _, codes = _enrol(app)
    for expected in (303, 401):
        client = app.test_client()
        sign_in(client, "admin@example.org")
        assert _post_code(client, "/staff/code", codes[0].upper()).status_code == expected


def test_the_second_step_needs_the_password_first_and_is_throttled(app, required):
    _enrol(app)
    stranger = app.test_client()
    assert stranger.get("/staff/code").status_code == 303  # no password yet: back to sign-in
    client = app.test_client()
    sign_in(client, "admin@example.org")
    statuses = [_post_code(client, "/staff/code", f"{n:06d}").status_code for n in range(7)]
    assert 429 in statuses
    with app.app_context():
        failures = db.session.scalar(
            sa.text("SELECT count(*) FROM audit_event WHERE action = 'second_factor_failed'")
        )
    assert failures >= 4


def test_without_the_requirement_unenrolled_staff_sign_in_with_a_password(app, staff):
    response = sign_in(app.test_client(), "admin@example.org", STAFF_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"


def test_production_requires_the_second_factor():
    from config import ProductionConfig

    assert ProductionConfig.STAFF_MFA_REQUIRED is True
