"""The survey itself: privacy, question pages, check your answers, Send and thanks. Thin:
state lives in ``draft``, rules in ``services``; how people get in is in ``entry``."""

from __future__ import annotations

import uuid

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db, limiter
from survey_app.forms import ActionForm
from survey_app.questions.forms import question_form
from survey_app.respond import bp
from survey_app.respond.draft import (
    SENT_KEY,
    Draft,
    current_draft,
    current_kiosk,
    discard_draft,
    save_draft,
)
from survey_app.respond.forms import SubmitForm
from survey_app.respond.navigation import answers_to_check, following, preceding, progress, route
from survey_app.services.responses import (
    Submission,
    response_exists,
    store_response,
)
from survey_app.services.versions import load_version


def _config(name: str):
    return lambda: current_app.config[name]


def _draft_or_restart() -> Draft:
    draft, timed_out = current_draft()
    if draft is None:
        if timed_out:
            flash("We cleared the answers on this device because nobody used it for a while.")
        abort(redirect(url_for(".start")))
    return draft


@bp.route("/privacy", methods=["GET", "POST"])
def privacy():
    draft = _draft_or_restart()
    form = ActionForm()
    if form.validate_on_submit():
        draft.assented = True
        save_draft(draft)
        version = load_version(draft.version_id, draft.frozen_at)
        return redirect(url_for(".question", key=route(version, draft.answers)[0]), 303)
    return render_template("respond/privacy.html", form=form, draft=draft, kiosk=current_kiosk())


@bp.route("/q/<key>", methods=["GET", "POST"])
def question(key: str):
    draft = _draft_or_restart()
    if not draft.assented:
        return redirect(url_for(".privacy"))
    version = load_version(draft.version_id, draft.frozen_at)
    keys = route(version, draft.answers)
    if key not in keys:
        abort(404)
    item = version.question(key)
    form = None  # a GET shows the saved answer; only a POST has something to check
    if request.method == "POST":
        max_text = current_app.config["FREE_TEXT_MAX_CHARS"]
        form = question_form(item, draft.language, max_text, draft.answers.get(key), request.form)
    if form and form.validate_on_submit():
        if form.answer.data:
            draft.answers[key] = form.answer.data
        else:
            draft.answers.pop(key, None)
        save_draft(draft)
        keys = route(version, draft.answers)
        after = following(keys, key)
        if request.args.get("change"):
            # Back to "check your answers", unless the change opened a follow-up question.
            opened = after and after not in draft.answers and version.question(after).condition
            return redirect(url_for(".question", key=after, change=1) if opened else url_for(".review"), 303)
        return redirect(url_for(".question", key=after) if after else url_for(".review"), 303)
    back = preceding(keys, key)
    number, total = progress(version, draft.answers, key)
    return render_template(
        "questions/page.html",
        question=item,
        form=form,
        saved=draft.answers.get(key),
        draft=draft,
        version=version,
        number=number,
        total=total,
        back_url=url_for(".question", key=back) if back else url_for(".privacy"),
    ), (400 if form and form.errors else 200)


@bp.get("/send")
def review():
    """Check your answers: each question asked, with a link to change it, then Send."""
    draft = _draft_or_restart()
    if not draft.assented:
        return redirect(url_for(".privacy"))
    version = load_version(draft.version_id, draft.frozen_at)
    keys = route(version, draft.answers)
    return render_template(
        "respond/review.html",
        draft=draft,
        version=version,
        answers=answers_to_check(version, draft.answers, draft.language),
        back_key=keys[-1],
        form=SubmitForm(submission_uuid=draft.submission_uuid),
    )


def _open_link_submission() -> bool:
    draft = session.get("draft") or {}
    return draft.get("code_id") is None and draft.get("school_id") is None


@bp.post("/send")
@limiter.limit(_config("PUBLIC_SUBMITS_PER_IP"), exempt_when=lambda: not _open_link_submission())
def send():
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        submission_uuid = uuid.UUID(form.submission_uuid.data or "")
    except ValueError:
        abort(400)
    draft, _ = current_draft()
    if draft is None or draft.submission_uuid != str(submission_uuid):
        # A second click arriving after the first was stored and the draft cleared.
        if response_exists(submission_uuid):
            session.setdefault(SENT_KEY, "public")
            return redirect(url_for(".thanks"), 303)
        return redirect(url_for(".start"), 303)
    submission = Submission(
        submission_uuid, draft.wave_id, draft.school_id, draft.code_id, draft.language, draft.answers
    )
    try:
        store_response(submission, max_text=current_app.config["FREE_TEXT_MAX_CHARS"])
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if not response_exists(submission_uuid):
            raise
    discard_draft()
    session[SENT_KEY] = "pupil" if submission.school_id else "public"
    return redirect(url_for(".thanks"), 303)


@bp.get("/thanks")
def thanks():
    """Only straight after sending: browser Back after "next pupil" lands on the start page,
    never on the previous pupil's thank-you page."""
    if not session.get(SENT_KEY):
        return redirect(url_for(".start"), 303)
    return render_template(
        "respond/thanks.html",
        kiosk=current_kiosk(),
        action=ActionForm(),
        for_pupils=session[SENT_KEY] == "pupil",
    )


@bp.get("/help")
def help_page():
    return render_template("respond/help.html")


@bp.post("/language")
def choose_language():
    draft = _draft_or_restart()
    version = load_version(draft.version_id, draft.frozen_at)
    chosen = request.form.get("language", "")
    if ActionForm().validate_on_submit() and chosen in version.languages:
        draft.language = chosen
        save_draft(draft)
    back = request.form.get("back", "")
    keys = route(version, draft.answers)
    return redirect(url_for(".question", key=back) if back in keys else url_for(".privacy"), 303)


@bp.get("/favicon.ico")
def favicon():
    """For browsers that ask for the icon at the conventional address instead of the link."""
    return current_app.send_static_file("favicon.svg")


@bp.get("/healthz")
def health():
    return {"status": "ok"}
