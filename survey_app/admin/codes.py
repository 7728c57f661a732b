"""A wave's access codes: making class and invitation codes, the CSV, code sheets, cancelling."""

from __future__ import annotations

from flask import Response, abort, render_template, url_for
from flask_login import current_user

from survey_app.admin import bp
from survey_app.admin.forms import ClassCodesForm, InvitationCodesForm
from survey_app.admin.waves import school_choices, wave_page
from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.forms import ActionForm
from survey_app.models import AccessCode, Audience, CodeKind, School, Wave
from survey_app.services import access_codes, audit, exports
from survey_app.view_helpers import done, get_or_404, redisplay


@bp.post("/waves/<int:wave_id>/codes/class")
def class_codes(wave_id: int):
    item = get_or_404(Wave, wave_id)
    form = ClassCodesForm()
    form.school_id.choices = school_choices(item)
    if form.validate_on_submit():
        school = get_or_404(School, form.school_id.data)
        try:
            made = access_codes.make_class_codes(item, school, access_codes.class_labels(form.labels.data))
        except SurveyError as error:
            form.labels.errors = [error.message]
        else:
            audit.record(
                current_user, "create_class_codes", "wave", item.id, school=school.urn, count=len(made)
            )
            return done(f"{len(made)} class codes made for {school.name}.", "admin.wave", wave_id=item.id)
    return redisplay("admin/wave.html", **wave_page(item, class_form=form))


@bp.post("/waves/<int:wave_id>/codes/invitations")
def invitation_codes(wave_id: int):
    item = get_or_404(Wave, wave_id)
    form = InvitationCodesForm()
    if item.audience is not Audience.PUBLIC:
        abort(404)
    if not form.validate_on_submit():
        return redisplay("admin/wave.html", **wave_page(item, invite_form=form))
    access_codes.create_codes(item, CodeKind.INVITATION, form.count.data)
    audit.record(current_user, "create_invitation_codes", "wave", item.id, count=form.count.data)
    return done(f"{form.count.data} invitation codes made.", "admin.wave", wave_id=item.id)


@bp.get("/waves/<int:wave_id>/codes.csv")
def codes_csv(wave_id: int):
    item = get_or_404(Wave, wave_id)
    body = exports.codes_csv(item, url_for("respond.start", _external=True))
    audit.record(current_user, "export_codes", "wave", item.id)
    db.session.commit()
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="codes-{item.slug}.csv"'},
    )


@bp.get("/waves/<int:wave_id>/schools/<int:school_id>/sheet")
def code_sheet(wave_id: int, school_id: int):
    item, school = get_or_404(Wave, wave_id), get_or_404(School, school_id)
    codes = access_codes.sheet(item, school)
    if codes is None:
        abort(404)
    audit.record(current_user, "print_codes", "wave", item.id, school=school.urn)
    db.session.commit()
    return render_template(
        "admin/code_sheet.html",
        wave=item,
        school=school,
        codes=codes,
        display=access_codes.display,
        start=url_for("respond.start", _external=True),
    )


@bp.post("/codes/<int:code_id>/revoke")
def revoke_code(code_id: int):
    code = get_or_404(AccessCode, code_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    access_codes.revoke(code)
    audit.record(current_user, "revoke_code", "access_code", code.id)
    return done(f"Code {access_codes.display(code.code)} is cancelled.", "admin.wave", wave_id=code.wave_id)
