"""Staff sign-in (password, then a second factor), and sign-out.

After a right password the session holds only "this account is part-way in" for a few
minutes; the account is signed in once its TOTP or recovery code is checked, or, when the
second factor is required and not yet set up, once the staff member has enrolled an
authenticator app.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from survey_app import throttle
from survey_app.extensions import db
from survey_app.forms import ActionForm
from survey_app.models import Role, StaffUser
from survey_app.services import audit, mfa, staff
from survey_app.staff import bp
from survey_app.staff.forms import CodeForm, LoginForm

PENDING_SECONDS = 5 * 60


def _typed_email() -> str:
    return request.form.get("email", "").strip().lower()[:254]


def _login_failure_rules(email: str | None = None) -> list[throttle.Rule]:
    """Per account *and* address, and per address: an attacker spending an account's tries
    from their address does not lock its owner out of signing in from theirs."""
    address = get_remote_address()
    return [
        (
            current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
            f"login:{email or _typed_email() or '-'}:{address}",
        ),
        (current_app.config["LOGIN_FAILURES_PER_IP"], f"login-ip:{address}"),
    ]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        rules = _login_failure_rules()
        try:
            throttle.refuse_if_exhausted(rules)
        except TooManyRequests:
            audit.record(None, "login_throttled", "staff_user", None, email=_typed_email())
            db.session.commit()
            raise
    form = LoginForm()
    if form.validate_on_submit():
        user = staff.authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.count_failure(rules)
            audit.record(None, "login_failed", "staff_user", None, email=_typed_email())
            db.session.commit()
            form.password.errors = ["The email address or password is not right."]
            return render_template("staff/login.html", form=form), 401
        session.clear()
        session.update(pending_user=user.id, pending_since=time.time(), pending_next=_safe_next())
        if user.totp_secret:
            return redirect(url_for("staff.second_factor"), 303)
        if current_app.config["STAFF_MFA_REQUIRED"]:
            return redirect(url_for("staff.enrol_second_factor"), 303)
        return _signed_in(user)
    return render_template("staff/login.html", form=form)


def _safe_next() -> str | None:
    """Only a path on this site. Browsers drop tabs and newlines from addresses and read a
    backslash as a slash, so "/<tab>/evil.example" and "/<backslash>evil.example" lead off-site:
    anything with a control character, space or backslash is refused, as is a scheme or host."""
    target = request.args.get("next", "")
    if not target.startswith("/") or "\\" in target or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc or target.startswith("//") else target


def _pending_user() -> StaffUser | None:
    """The account part-way through signing in, for a few minutes only."""
    user_id, since = session.get("pending_user"), session.get("pending_since", 0)
    if user_id is None or time.time() - since > PENDING_SECONDS:
        return None
    return staff.active_user(user_id)


def _signed_in(user: StaffUser):
    """Completes sign-in: a new session (P-16), audited, to the page asked for or home."""
    target = session.get("pending_next")
    staff.rotate_session(user)
    audit.record(user, "login", "staff_user", user.id)
    db.session.commit()
    session.clear()
    login_user(user)
    session["staff_seen"] = time.time()
    return redirect(target or url_for("admin.home" if user.role is Role.ADMIN else "results.home"), 303)


def _refused_code(user: StaffUser, form: CodeForm, template: str, **context):
    throttle.count_failure(_login_failure_rules(user.email))
    audit.record(None, "second_factor_failed", "staff_user", user.id)
    db.session.commit()
    form.code.errors = ["That code is not right. Check your authenticator app and try again."]
    return render_template(template, form=form, **context), 401


@bp.route("/code", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    if user is None or not user.totp_secret:
        return redirect(url_for("staff.login"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        throttle.refuse_if_exhausted(_login_failure_rules(user.email))
        if not mfa.verify(user, form.code.data):
            return _refused_code(user, form, "staff/second_factor.html")
        return _signed_in(user)
    return render_template("staff/second_factor.html", form=form)


@bp.route("/set-up-code", methods=["GET", "POST"])
def enrol_second_factor():
    user = _pending_user()
    if user is None or user.totp_secret:
        return redirect(url_for("staff.login"), 303)
    secret = session.setdefault("pending_secret", mfa.new_secret())
    context = {"qr": mfa.qr_data_uri(user, secret), "secret": secret}
    form = CodeForm()
    if form.validate_on_submit():
        throttle.refuse_if_exhausted(_login_failure_rules(user.email))
        codes = mfa.enrol(user, secret, form.code.data)
        if codes is None:
            return _refused_code(user, form, "staff/enrol_second_factor.html", **context)
        audit.record(user, "second_factor_enrolled", "staff_user", user.id)
        _signed_in(user)
        return render_template("staff/recovery_codes.html", codes=codes)
    return render_template("staff/enrol_second_factor.html", form=form, **context)


@bp.post("/logout")
def logout():
    if ActionForm().validate_on_submit() and current_user.is_authenticated:
        staff.rotate_session(current_user)  # the old cookie stops working anywhere
        audit.record(current_user, "logout", "staff_user", current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"), 303)
