"""Getting into a survey: the code page, class sessions on shared devices (next pupil, idle
clearing, ending the session) and public open links."""

from __future__ import annotations

import secrets

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_limiter.util import get_remote_address

from survey_app import throttle
from survey_app.exceptions import AccessCodeError
from survey_app.extensions import db
from survey_app.forms import ActionForm
from survey_app.models import CodeKind, Wave
from survey_app.respond import bp
from survey_app.respond.draft import (
    SENT_KEY,
    Draft,
    Kiosk,
    current_draft,
    current_kiosk,
    discard_draft,
    open_kiosk,
    save_draft,
)
from survey_app.respond.forms import CodeForm
from survey_app.services import waves
from survey_app.services.access_codes import code_matches, find_usable
from survey_app.services.responses import count_code_start


def _session_key() -> str:
    return "session:" + session.setdefault("limit_key", secrets.token_hex(8))


def _begin(wave: Wave, school_id: int | None, code_id: int | None, on_kiosk: bool) -> None:
    session.pop(SENT_KEY, None)
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
    wave = waves.find(kiosk.wave_id)
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
    session.pop(SENT_KEY, None)
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
    wave = waves.by_open_link(slug)
    if wave is None:
        abort(404)
    reason = wave.not_accepting_reason()
    form = ActionForm()
    if reason is None and form.validate_on_submit():
        _begin(wave, None, None, on_kiosk=False)
        return redirect(url_for(".privacy"), 303)
    return render_template("respond/open_link.html", wave=wave, reason=reason, form=form)
