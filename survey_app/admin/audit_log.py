"""The audit log, readable by people: who did what and when, filtered and a page at a time."""

from __future__ import annotations

from flask import render_template, request

from survey_app.admin import bp
from survey_app.admin.forms import AuditFilterForm
from survey_app.services import audit


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    form.person.choices = [("", "Anyone")] + [(email, email) for email in audit.people()]
    form.action.choices = [("", "Any action")] + [(a, a.replace("_", " ")) for a in audit.actions()]
    valid = form.validate()
    page = audit.search(
        form.person.data or None,
        form.action.data or None,
        form.since.data if valid else None,
        form.until.data if valid else None,
        page=request.args.get("page", 1, type=int),
    )
    filters = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_template("admin/audit.html", form=form, page=page, filters=filters), 200 if valid else 400
