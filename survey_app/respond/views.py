"""Respondent pages. Thin: state lives in ``draft``, rules in ``services``."""

from __future__ import annotations

import secrets
import uuid

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app import throttle
from survey_app.exceptions import AccessCodeError
from survey_app.extensions import db, limiter
from survey_app.forms import ActionForm
from survey_app.models import CodeKind, Wave
from survey_app.questions.forms import question_form
from survey_app.respond import bp
from survey_app.respond.draft import (
    Draft,
    Kiosk,
    current_draft,
    current_kiosk,
    discard_draft,
    open_kiosk,
    save_draft,
)
from survey_app.respond.forms import CodeForm, SubmitForm
from survey_app.respond.navigation import answers_to_check, following, preceding, progress, route
from survey_app.services.access_codes import code_matches, find_usable
from survey_app.services.responses import (
    Submission,
    count_code_start,
    response_exists,
    store_response,
)
from survey_app.services.versions import load_version

SENT = "sent"  # "pupil" or "public" once this device has sent answers: the thank-you may show


def _config(name: str):
    return lambda: current_app.config[name]


def _session_key() -> str:
    return "session:" + session.setdefault("limit_key", secrets.token_hex(8))


def _draft_or_restart() -> Draft:
    draft, timed_out = current_draft()
    if draft is None:
        if timed_out:
            flash("We cleared the answers on this device because nobody used it for a while.")
        abort(redirect(url_for(".start")))
    return draft


def _begin(wave: Wave, school_id: int | None, code_id: int | None, on_kiosk: bool) -> None:
    session.pop(SENT, None)
    save_draft(
        Draft(
            wave_id=wave.id,
            version_id=wave.version_id,
            school_id=school_id,
            code_id=code_id,
            language=wave.version.languages[0],
            on_kiosk=on_kiosk,
            frozen_at=wave.version.frozen_at.timestamp() if wave.version.frozen_at else None,
        )
    )


@bp.get("/")
def start():
    current_draft()  # drops a draft left idle too long, so a stale one never resumes
    return render_template(
        "respond/start.html",
        form=CodeForm(),
        end_form=CodeForm(prefix="end"),
        action=ActionForm(),
        kiosk=current_kiosk(),
    )


def _code_failure_rules() -> list[throttle.Rule]:
    return [
        (current_app.config["CODE_FAILURES_PER_SESSION"], "code:" + _session_key()),
        (current_app.config["CODE_FAILURES_PER_IP"], "code-ip:" + get_remote_address()),
    ]


@bp.post("/code")
def enter_code():
    """A correct code is never limited (a whole school shares one address); wrong ones are
    counted per session and per address, and refused with 429 once either runs out."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            code = find_usable(form.code.data)
        except AccessCodeError as error:
            rules = _code_failure_rules()
            throttle.refuse_if_exhausted(rules)
            throttle.count_failure(rules)
            form.code.errors = [error.message]
        else:
            if code.kind is CodeKind.CLASS:
                place = f"{code.school.name}, {code.class_label or 'class'}"
                open_kiosk(Kiosk(code.wave_id, code.school_id, code.id, place))
                return redirect(url_for(".start"), 303)
            _begin(code.wave, None, code.id, on_kiosk=False)
            count_code_start(code.id)
            db.session.commit()
            return redirect(url_for(".privacy"), 303)
    return render_template(
        "respond/start.html",
        form=form,
        end_form=CodeForm(prefix="end"),
        action=ActionForm(),
        kiosk=current_kiosk(),
    ), 400


@bp.post("/next")
def next_pupil():
    """Starts a fresh draft for the next pupil on a kiosk device."""
    kiosk = current_kiosk()
    if not ActionForm().validate_on_submit() or kiosk is None:
        return redirect(url_for(".start"), 303)
    wave = db.session.get(Wave, kiosk.wave_id)
    reason = wave.not_accepting_reason() if wave else "This survey is no longer available."
    if reason:
        flash(reason)
        return redirect(url_for(".start"), 303)
    discard_draft()
    _begin(wave, kiosk.school_id, kiosk.code_id, on_kiosk=True)
    count_code_start(kiosk.code_id)
    db.session.commit()
    return redirect(url_for(".privacy"), 303)


@bp.post("/finish")
def finish():
    """'Finished' or the idle timer: forget this person's answers, keep the class session."""
    ActionForm().validate_on_submit()
    discard_draft()
    session.pop(SENT, None)
    return redirect(url_for(".start"), 303)


@bp.post("/still-here")
def still_here():
    """The idle warning's "I'm still here": keeps the draft alive on the server too."""
    draft, _ = current_draft()
    if ActionForm().validate_on_submit() and draft is not None:
        save_draft(draft)
        return "", 204
    return "", 409


@bp.post("/kiosk/end")
def end_kiosk():
    """Only with the class code again: a pupil cannot end the class session for everyone."""
    kiosk, form = current_kiosk(), CodeForm(prefix="end")
    if kiosk is None:
        return redirect(url_for(".start"), 303)
    if form.validate_on_submit():
        rules = _code_failure_rules()
        throttle.refuse_if_exhausted(rules)
        if code_matches(kiosk.code_id, form.code.data):
            session.clear()
            flash("The class session has ended. This device is ready for a new class code.")
            return redirect(url_for(".start"), 303)
        throttle.count_failure(rules)
        form.code.errors = ["That is not this class's code. Type the code from your sheet."]
    return render_template(
        "respond/start.html", form=CodeForm(), end_form=form, action=ActionForm(), kiosk=kiosk
    ), 400


@bp.route("/public/<slug>", methods=["GET", "POST"])
def open_link(slug: str):
    wave = db.session.scalar(select(Wave).where(Wave.slug == slug, Wave.open_link.is_(True)))
    if wave is None:
        abort(404)
    reason = wave.not_accepting_reason()
    form = ActionForm()
    if reason is None and form.validate_on_submit():
        _begin(wave, None, None, on_kiosk=False)
        return redirect(url_for(".privacy"), 303)
    return render_template("respond/open_link.html", wave=wave, reason=reason, form=form)


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
    max_text = current_app.config["FREE_TEXT_MAX_CHARS"]
    form = question_form(
        item,
        draft.language,
        max_text,
        draft.answers.get(key),
        request.form if request.method == "POST" else None,
    )
    if form.validate_on_submit():
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
        draft=draft,
        version=version,
        number=number,
        total=total,
        back_url=url_for(".question", key=back) if back else url_for(".privacy"),
    ), (400 if form.errors else 200)


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
            session.setdefault(SENT, "public")
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
    session[SENT] = "pupil" if submission.school_id else "public"
    return redirect(url_for(".thanks"), 303)


@bp.get("/thanks")
def thanks():
    """Only straight after sending: browser Back after "next pupil" lands on the start page,
    never on the previous pupil's thank-you page."""
    if not session.get(SENT):
        return redirect(url_for(".start"), 303)
    return render_template(
        "respond/thanks.html", kiosk=current_kiosk(), action=ActionForm(), for_pupils=session[SENT] == "pupil"
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
