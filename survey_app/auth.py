"""Staff sign-in, and the access policy every route must declare (deny by default, P-22).

Each blueprint (or single endpoint) is declared public or tied to roles with ``declare``;
a request to anything undeclared is refused, so a forgotten declaration fails closed.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from survey_app.extensions import db, limiter, login_manager
from survey_app.models import Role
from survey_app.services import audit, staff

bp = Blueprint("auth", __name__, url_prefix="/staff")
PUBLIC = "public"
# blueprint name or endpoint -> PUBLIC or the roles allowed
POLICY: dict[str, str | frozenset[Role]] = {"static": PUBLIC, "auth.login": PUBLIC}


def declare(name: str, access: str | frozenset[Role]) -> None:
    POLICY[name] = access


def policy_for(endpoint: str | None) -> str | frozenset[Role] | None:
    if endpoint is None:
        return PUBLIC  # no route matched: the 404 handler answers
    return POLICY.get(endpoint, POLICY.get(endpoint.rpartition(".")[0]))


def enforce_policy():
    access = policy_for(request.endpoint)
    if access == PUBLIC:
        return None
    if access is None:
        abort(403)  # undeclared: fail closed
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if _idle_too_long():
        logout_user()
        session.clear()
        flash("You were signed out after 30 minutes without activity.")
        return redirect(url_for("auth.login", next=request.full_path))
    if current_user.role not in access:
        abort(403)
    return None


def _idle_too_long() -> bool:
    now = time.time()
    last = session.get("staff_seen", now)
    session["staff_seen"] = now
    return now - last > current_app.config["STAFF_IDLE_SECONDS"]


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1000)])


def _login_refused(response) -> bool:
    return response.status_code == 401


def _email_key() -> str:
    return "login:" + (request.form.get("email", "").strip().lower()[:254] or "-")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"], key_func=_email_key,
               deduct_when=_login_refused, methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_IP"], deduct_when=_login_refused,
               methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = staff.authenticate(form.email.data, form.password.data)
        if user is None:
            audit.record(None, "login_failed", "staff_user", None)
            db.session.commit()
            form.password.errors = ["The email address or password is not right."]
            return render_template("staff/login.html", form=form), 401
        staff.rotate_session(user)
        audit.record(user, "login", "staff_user", user.id)
        db.session.commit()
        session.clear()  # a new session on sign-in (P-16)
        login_user(user)
        session["staff_seen"] = time.time()
        return redirect(_safe_next() or url_for("admin.home"), 303)
    return render_template("staff/login.html", form=form)


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


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
    declare("auth.logout", PUBLIC)
    declare("respond", PUBLIC)
    app.before_request(enforce_policy)
