"""Admin pages. Thin: each view parses a form, calls a service, records the audit and commits."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from survey_app.admin import bp
from survey_app.admin.forms import (
    ActionForm,
    ClassCodesForm,
    InvitationCodesForm,
    MarginsForm,
    QuestionForm,
    UploadForm,
    WaveForm,
)
from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import (
    AccessCode,
    Audience,
    AuditEvent,
    CodeKind,
    PopulationMargin,
    Questionnaire,
    QuestionnaireVersion,
    School,
    Wave,
    WaveSchool,
)
from survey_app.models.questionnaire import localised
from survey_app.models.types import utcnow
from survey_app.respond.forms import question_form
from survey_app.services import audit, monitor, questionnaires, waves
from survey_app.services import schools as school_import
from survey_app.services.access_codes import create_codes, display
from survey_app.services.uploads import UploadError, neutralise
from survey_app.view_helpers import done, get_or_404


def _upload_problem(error: UploadError, template: str, status: int = 400, **context):
    db.session.rollback()
    return render_template(template, upload_error=error, **context), status


@bp.get("/")
def home():
    all_waves = db.session.scalars(select(Wave).order_by(Wave.opens_at.desc())).all()
    return render_template("admin/home.html", waves=all_waves)


@bp.route("/schools", methods=["GET", "POST"], endpoint="schools")
def schools_page():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            summary = school_import.import_schools(form.file.data.read())
        except UploadError as error:
            return _upload_problem(error, "admin/schools.html", form=form, schools=_school_list())
        audit.record(current_user, "import_schools", "school", None, added=summary.added,
                     updated=summary.updated)
        return done(f"Imported: {summary.added} added, {summary.updated} updated.",
                     "admin.schools")
    return render_template("admin/schools.html", form=form, schools=_school_list())


def _school_list() -> list[School]:
    return db.session.scalars(select(School).order_by(School.name)).all()


@bp.route("/waves/new", methods=["GET", "POST"])
def wave_new():
    form = WaveForm()
    versions = db.session.scalars(select(QuestionnaireVersion).join(Questionnaire)
                                  .order_by(Questionnaire.key, QuestionnaireVersion.number)).all()
    form.version_id.choices = [(v.id, f"{v.questionnaire.title} – version {v.number}")
                               for v in versions]
    if form.validate_on_submit():
        wave = waves.create_wave(form.name.data, get_or_404(QuestionnaireVersion, form.version_id.data),
                                 _midnight(form.opens_on.data), _midnight(form.closes_on.data),
                                 form.open_link.data, form.text_retention_days.data)
        audit.record(current_user, "create_wave", "wave", wave.id, name=wave.name)
        return done(f"Wave '{wave.name}' created as a draft.", "admin.wave", wave_id=wave.id)
    return render_template("admin/wave_new.html", form=form)


def _midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@bp.get("/waves/<int:wave_id>")
def wave(wave_id: int):
    item = get_or_404(Wave, wave_id)
    return render_template("admin/wave.html", **_wave_context(item))


def _wave_context(item: Wave, **forms) -> dict:
    links = db.session.scalars(select(WaveSchool).where(WaveSchool.wave_id == item.id)).all()
    codes = db.session.scalars(select(AccessCode).where(AccessCode.wave_id == item.id)
                               .order_by(AccessCode.school_id, AccessCode.id)).all()
    class_form = forms.get("class_form") or ClassCodesForm()
    class_form.school_id.choices = [(link.school_id, link.school.name) for link in links]
    return {"wave": item, "links": links, "codes": codes, "action": ActionForm(),
            "upload": forms.get("upload") or UploadForm(),
            "margins_form": forms.get("margins_form") or MarginsForm(),
            "class_form": class_form, "invite_form": forms.get("invite_form") or InvitationCodesForm(),
            "margins": db.session.scalars(select(PopulationMargin).where(
                PopulationMargin.wave_id == item.id).order_by(PopulationMargin.id)).all(),
            "display": display}


@bp.post("/waves/<int:wave_id>/<any(open, close):move>")
def wave_move(wave_id: int, move: str):
    item = get_or_404(Wave, wave_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    getattr(item, move)()
    audit.record(current_user, f"{move}_wave", "wave", item.id)
    return done(f"Wave '{item.name}' is now {item.state.value}.", "admin.wave", wave_id=item.id)


@bp.post("/waves/<int:wave_id>/schools")
def wave_schools(wave_id: int):
    return _wave_upload(get_or_404(Wave, wave_id), UploadForm(), "upload", "assign_schools",
                        lambda wave, form: waves.assign_schools(wave, form.file.data.read()),
                        "{count} schools assigned with their expected pupils.")


def _wave_upload(item: Wave, form, form_name: str, action: str, store, message: str):
    """Shared by the wave's CSV uploads: validate, store or report every row, audit, commit."""
    context = _wave_context(item, **{form_name: form})
    if not form.validate_on_submit():
        return render_template("admin/wave.html", **context), 400
    try:
        count = store(item, form)
    except UploadError as error:
        return _upload_problem(error, "admin/wave.html", **context)
    audit.record(current_user, action, "wave", item.id, rows=count)
    return done(message.format(count=count), "admin.wave", wave_id=item.id)


@bp.post("/waves/<int:wave_id>/codes/class")
def class_codes(wave_id: int):
    item = get_or_404(Wave, wave_id)
    form = ClassCodesForm()
    context = _wave_context(item, class_form=form)
    labels = [line.strip()[:60] for line in (form.labels.data or "").splitlines() if line.strip()]
    if not form.validate_on_submit() or not labels or len(labels) > 60:
        flash("Choose a school and give between 1 and 60 class labels.")
        return render_template("admin/wave.html", **context), 400
    school = get_or_404(School, form.school_id.data)
    for label in labels:
        create_codes(item, CodeKind.CLASS, 1, school=school, class_label=label)
    audit.record(current_user, "create_class_codes", "wave", item.id, school=school.urn,
                 count=len(labels))
    return done(f"{len(labels)} class codes made for {school.name}.", "admin.wave", wave_id=item.id)


@bp.post("/waves/<int:wave_id>/codes/invitations")
def invitation_codes(wave_id: int):
    item = get_or_404(Wave, wave_id)
    form = InvitationCodesForm()
    if item.audience is not Audience.PUBLIC or not form.validate_on_submit():
        flash("Invitation codes are for public waves: give a number from 1 to 5,000.")
        return render_template("admin/wave.html", **_wave_context(item, invite_form=form)), 400
    create_codes(item, CodeKind.INVITATION, form.count.data)
    audit.record(current_user, "create_invitation_codes", "wave", item.id, count=form.count.data)
    return done(f"{form.count.data} invitation codes made.", "admin.wave", wave_id=item.id)


@bp.get("/waves/<int:wave_id>/codes.csv")
def codes_csv(wave_id: int):
    item = get_or_404(Wave, wave_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "kind", "school_urn", "school", "class", "uses", "revoked", "link"])
    start = url_for("respond.start", _external=True)
    for code in db.session.scalars(select(AccessCode).where(AccessCode.wave_id == item.id)):
        writer.writerow([neutralise(v) for v in (
            display(code.code), code.kind.value, code.school.urn if code.school else "",
            code.school.name if code.school else "", code.class_label or "", code.uses,
            "yes" if code.revoked_at else "", start)])
    audit.record(current_user, "export_codes", "wave", item.id)
    db.session.commit()
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="codes-{item.slug}.csv"'})


@bp.get("/waves/<int:wave_id>/schools/<int:school_id>/sheet")
def code_sheet(wave_id: int, school_id: int):
    item, school = get_or_404(Wave, wave_id), get_or_404(School, school_id)
    codes = db.session.scalars(select(AccessCode).where(
        AccessCode.wave_id == item.id, AccessCode.school_id == school.id,
        AccessCode.revoked_at.is_(None))).all()
    audit.record(current_user, "print_codes", "wave", item.id, school=school.urn)
    db.session.commit()
    return render_template("admin/code_sheet.html", wave=item, school=school, codes=codes,
                           display=display, start=url_for("respond.start", _external=True))


@bp.post("/codes/<int:code_id>/revoke")
def revoke_code(code_id: int):
    code = get_or_404(AccessCode, code_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    code.revoked_at = code.revoked_at or utcnow()
    audit.record(current_user, "revoke_code", "access_code", code.id)
    return done(f"Code {display(code.code)} is cancelled.", "admin.wave", wave_id=code.wave_id)


@bp.post("/waves/<int:wave_id>/margins")
def wave_margins(wave_id: int):
    return _wave_upload(get_or_404(Wave, wave_id), MarginsForm(), "margins_form", "upload_margins",
                        lambda wave, form: waves.replace_margins(wave, form.file.data.read(),
                                                                 form.source_note.data),
                        "{count} population margins saved.")


@bp.get("/waves/<int:wave_id>/monitor")
def wave_monitor(wave_id: int):
    item = get_or_404(Wave, wave_id)
    rows, total = monitor.fieldwork(item)
    return render_template("admin/monitor.html", wave=item, rows=rows, total=total)


@bp.get("/questionnaires")
def questionnaire_list():
    items = db.session.scalars(select(Questionnaire).order_by(Questionnaire.key)).all()
    return render_template("admin/questionnaires.html", questionnaires=items, action=ActionForm())


@bp.get("/versions/<int:version_id>")
def version(version_id: int):
    item = get_or_404(QuestionnaireVersion, version_id)
    return render_template("admin/version.html", version=item, action=ActionForm(),
                           localised=localised)


@bp.post("/versions/<int:version_id>/copy")
def version_copy(version_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    copy = questionnaires.copy_version(get_or_404(QuestionnaireVersion, version_id))
    audit.record(current_user, "copy_version", "questionnaire_version", copy.id)
    return done(f"Version {copy.number} created; edit it before a wave uses it.", "admin.version",
                 version_id=copy.id)


@bp.route("/versions/<int:version_id>/questions/<key>", methods=["GET", "POST"])
def question_edit(version_id: int, key: str):
    item = get_or_404(QuestionnaireVersion, version_id)
    question = item.question(key) or abort(404)
    language = request.args.get("lang", item.languages[0])[:8]
    form = QuestionForm(data=_question_data(question, language))
    form.condition_question.choices = [("", "Always ask it")] + [
        (q.key, q.key) for q in item.questions if q.position < question.position and q.options]
    if form.validate_on_submit():
        try:
            questionnaires.update_question(
                item, key, language, form.wording.data, form.hint.data or "",
                (form.options.data or "").splitlines(), form.required.data, _condition(form))
        except SurveyError as error:
            db.session.rollback()
            flash(error.message)
            return render_template("admin/question_edit.html", version=item, question=question,
                                   form=form, language=language), error.status_code
        audit.record(current_user, "edit_question", "questionnaire_version", item.id, key=key)
        return done("Question saved.", "admin.version", version_id=item.id)
    return render_template("admin/question_edit.html", version=item, question=question, form=form,
                           language=language), 400 if form.errors else 200


def _question_data(question, language: str) -> dict:
    condition = question.condition or {}
    return {"wording": question.wording.get(language, ""), "hint": question.hint.get(language, ""),
            "required": question.required,
            "options": "\n".join(o.label.get(language, "") for o in question.options),
            "condition_question": condition.get("question", ""),
            "condition_codes": ", ".join(condition.get("in", []))}


def _condition(form: QuestionForm) -> dict | None:
    if not form.condition_question.data:
        return None
    codes = [c.strip() for c in (form.condition_codes.data or "").split(",") if c.strip()]
    return {"question": form.condition_question.data, "in": codes}


@bp.route("/versions/<int:version_id>/preview/<key>", methods=["GET", "POST"])
def preview(version_id: int, key: str):
    """The question page exactly as a respondent sees it; nothing is stored."""
    item = get_or_404(QuestionnaireVersion, version_id)
    keys = [q.key for q in item.questions]
    if key not in keys:
        abort(404)
    language = request.args.get("lang", item.languages[0])
    form = question_form(item.question(key), language, current_app.config["FREE_TEXT_MAX_CHARS"],
                         None, request.form if request.method == "POST" else None)
    index = keys.index(key)
    if form.validate_on_submit():
        following = keys[index + 1] if index + 1 < len(keys) else keys[0]
        return redirect(url_for("admin.preview", version_id=item.id, key=following, lang=language), 303)
    preview_draft = {"language": language, "on_kiosk": False}
    back = url_for("admin.preview", version_id=item.id, key=keys[index - 1], lang=language)
    return render_template("respond/question.html", question=item.question(key), form=form,
                           draft=preview_draft, version=item, number=index + 1, total=len(keys),
                           back_url=back, preview=True)


@bp.get("/audit")
def audit_log():
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(500)).all()
    return render_template("admin/audit.html", events=events)
