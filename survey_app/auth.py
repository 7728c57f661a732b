"""Staff sign-in and sign-out; the access policy itself is in ``survey_app.access``."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import TooManyRequests
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from survey_app import throttle
from survey_app.access import PUBLIC, declare, enforce_policy
from survey_app.extensions import db, login_manager
from survey_app.models import Role
from survey_app.services import audit, staff

bp = Blueprint("auth", __name__, url_prefix="/staff")
declare("auth.login", PUBLIC)
declare("auth.logout", PUBLIC)


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1000)])


def _typed_email() -> str:
    return request.form.get("email", "").strip().lower()[:254]


def _login_failure_rules() -> list[throttle.Rule]:
    """Per account *and* address, and per address: an attacker spending an account's tries
    from their address does not lock its owner out of signing in from theirs."""
    address = get_remote_address()
    return [(current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
             f"login:{_typed_email() or '-'}:{address}"),
            (current_app.config["LOGIN_FAILURES_PER_IP"], f"login-ip:{address}")]


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
        staff.rotate_session(user)
        audit.record(user, "login", "staff_user", user.id)
        db.session.commit()
        session.clear()  # a new session on sign-in (P-16)
        login_user(user)
        session["staff_seen"] = time.time()
        home = "admin.home" if user.role is Role.ADMIN else "results.home"
        return redirect(_safe_next() or url_for(home), 303)
    return render_template("staff/login.html", form=form)


def _safe_next() -> str | None:
    """Only a path on this site. Browsers drop tabs and newlines from addresses and read a
    backslash as a slash, so "/<tab>/evil.example" and "/<backslash>evil.example" lead off-site:
    anything with a control character, space or backslash is refused, as is a scheme or host."""
    target = request.args.get("next", "")
    if not target.startswith("/") or "\\" in target or any(ord(c) <= 0x20 or ord(c) == 0x7F
                                                            for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc or target.startswith("//") else target


@bp.post("/logout")
def logout():
    if FlaskForm().validate_on_submit() and current_user.is_authenticated:
        staff.rotate_session(current_user)  # the old cookie stops working anywhere
        audit.record(current_user, "logout", "staff_user", current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), 303)


def register(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(staff.load_user)
    app.register_blueprint(bp)
    app.before_request(enforce_policy)
