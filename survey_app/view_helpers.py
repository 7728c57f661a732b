"""What every staff view does at its edges: fetch by id or 404, commit once and redirect."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from survey_app.extensions import db


def get_or_404(model, object_id: int):
    return db.session.get(model, object_id) or abort(404)


def done(message: str, endpoint: str, **values):
    """Commits the request's one transaction, says what happened, and redirects (PRG)."""
    db.session.commit()
    flash(message)
    return redirect(url_for(endpoint, **values), 303)


def redisplay(template: str, status: int = 400, **context):
    """The form again, with what was wrong, after undoing anything the attempt changed."""
    db.session.rollback()
    return render_template(template, **context), status
