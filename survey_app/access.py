"""The access policy every route must declare: public, or the roles allowed (deny by default).

Each blueprint declares its access in its own ``__init__.py``; a request to anything
undeclared is refused, so a forgotten declaration fails closed (SECURITY P-22).
"""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from survey_app.extensions import login_manager
from survey_app.models import Role

PUBLIC = "public"
# blueprint name or endpoint -> PUBLIC or the roles allowed
POLICY: dict[str, str | frozenset[Role]] = {"static": PUBLIC}


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
        return redirect(url_for("staff.login", next=request.full_path))
    if current_user.role not in access:
        abort(403)
    return None


def _idle_too_long() -> bool:
    now = time.time()
    last = session.get("staff_seen", now)
    session["staff_seen"] = now
    return now - last > current_app.config["STAFF_IDLE_SECONDS"]
