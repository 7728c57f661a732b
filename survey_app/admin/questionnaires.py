"""Questionnaires: versions, copying one, editing an unused one, and previewing any question."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from survey_app.admin import bp
from survey_app.admin.forms import QuestionForm
from survey_app.exceptions import SurveyError
from survey_app.forms import ActionForm
from survey_app.models import Question, QuestionnaireVersion
from survey_app.models.questionnaire import localised
from survey_app.questions.forms import question_form
from survey_app.services import audit, questionnaires
from survey_app.view_helpers import done, get_or_404, redisplay


@bp.get("/questionnaires")
def questionnaire_list():
    return render_template("admin/questionnaires.html", questionnaires=questionnaires.all_questionnaires())


@bp.get("/versions/<int:version_id>")
def version(version_id: int):
    item = get_or_404(QuestionnaireVersion, version_id)
    return render_template("admin/version.html", version=item, action=ActionForm(), localised=localised)


@bp.post("/versions/<int:version_id>/copy")
def version_copy(version_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    copy = questionnaires.copy_version(get_or_404(QuestionnaireVersion, version_id))
    audit.record(current_user, "copy_version", "questionnaire_version", copy.id)
    return done(
        f"Version {copy.number} created; edit it before a wave uses it.", "admin.version", version_id=copy.id
    )


@bp.route("/versions/<int:version_id>/questions/<key>", methods=["GET", "POST"])
def question_edit(version_id: int, key: str):
    """A frozen version's question is shown read-only, with the way to a new version."""
    item = get_or_404(QuestionnaireVersion, version_id)
    question = item.question(key) or abort(404)
    language = request.args.get("lang", item.languages[0])[:8]
    form = QuestionForm(data=_question_data(question, language))
    form.condition_question.choices = [("", "Always ask it")] + [
        (q.key, q.key) for q in item.questions if q.position < question.position and q.options
    ]
    context = {
        "version": item,
        "question": question,
        "form": form,
        "language": language,
        "action": ActionForm(),
    }
    if form.validate_on_submit():
        try:
            questionnaires.update_question(
                item,
                key,
                language,
                form.wording.data,
                form.hint.data or "",
                (form.options.data or "").splitlines(),
                form.required.data,
                _condition(form),
            )
        except SurveyError as error:
            return redisplay("admin/question_edit.html", error.status_code, problem=error.message, **context)
        audit.record(current_user, "edit_question", "questionnaire_version", item.id, key=key)
        return done("Question saved.", "admin.version", version_id=item.id)
    return render_template("admin/question_edit.html", **context), 400 if form.errors else 200


def _question_data(question: Question, language: str) -> dict:
    condition = question.condition or {}
    return {
        "wording": question.wording.get(language, ""),
        "hint": question.hint.get(language, ""),
        "required": question.required,
        "options": "\n".join(o.label.get(language, "") for o in question.options),
        "condition_question": condition.get("question", ""),
        "condition_codes": ", ".join(condition.get("in", [])),
    }


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
    if language not in item.languages:
        language = item.languages[0]
    form = None
    if request.method == "POST":
        max_text = current_app.config["FREE_TEXT_MAX_CHARS"]
        form = question_form(item.question(key), language, max_text, None, request.form)
    index = keys.index(key)
    if form and form.validate_on_submit():
        following = keys[index + 1] if index + 1 < len(keys) else keys[0]
        return redirect(url_for("admin.preview", version_id=item.id, key=following, lang=language), 303)
    back = url_for("admin.preview", version_id=item.id, key=keys[index - 1], lang=language)
    return render_template(
        "questions/page.html",
        question=item.question(key),
        form=form,
        saved=None,
        draft={"language": language, "on_kiosk": False},
        version=item,
        number=index + 1,
        total=len(keys),
        back_url=back,
        preview=True,
    ), 400 if form and form.errors else 200
