"""Waves: the list, creating one, its page (schools, codes, margins), opening and closing it,
and the fieldwork monitor."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import render_template
from flask_login import current_user

from survey_app.admin import bp
from survey_app.admin.forms import ClassCodesForm, InvitationCodesForm, MarginsForm, UploadForm, WaveForm
from survey_app.exceptions import SurveyError
from survey_app.forms import ActionForm
from survey_app.models import QuestionnaireVersion, Wave, WaveState
from survey_app.models.types import utcnow
from survey_app.services import access_codes, audit, margins, monitor, questionnaires, waves
from survey_app.services.uploads import UploadError
from survey_app.view_helpers import done, get_or_404, redisplay

MOVES = {"open": WaveState.OPEN, "close": WaveState.CLOSED}


@bp.get("/")
def home():
    return render_template("admin/home.html", waves=waves.all_waves())


@bp.route("/waves/new", methods=["GET", "POST"])
def wave_new():
    form = WaveForm()
    form.version_id.choices = [
        (v.id, f"{v.questionnaire.title} – version {v.number}") for v in questionnaires.all_versions()
    ]
    if form.validate_on_submit():
        try:
            wave = waves.create_wave(
                form.name.data,
                get_or_404(QuestionnaireVersion, form.version_id.data),
                _midnight(form.opens_on.data),
                _midnight(form.closes_on.data),
                form.open_link.data,
                form.text_retention_days.data,
            )
        except SurveyError as error:
            form.name.errors = [error.message]
            return redisplay("admin/wave_new.html", form=form)
        audit.record(current_user, "create_wave", "wave", wave.id, name=wave.name)
        return done(f"Wave '{wave.name}' created as a draft.", "admin.wave", wave_id=wave.id)
    return render_template("admin/wave_new.html", form=form), 400 if form.errors else 200


def _midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@bp.get("/waves/<int:wave_id>")
def wave(wave_id: int):
    return render_template("admin/wave.html", **wave_page(get_or_404(Wave, wave_id)))


def wave_page(item: Wave, **forms) -> dict:
    """Everything the wave page shows; ``forms`` carries a submitted form back with its errors."""
    links = waves.schools_of(item)
    class_form = forms.get("class_form") or ClassCodesForm()
    class_form.school_id.choices = school_choices(item, links)
    return {
        "wave": item,
        "links": links,
        "codes": access_codes.of_wave(item),
        "action": ActionForm(),
        "upload": forms.get("upload") or UploadForm(),
        "margins_form": forms.get("margins_form") or MarginsForm(),
        "class_form": class_form,
        "invite_form": forms.get("invite_form") or InvitationCodesForm(),
        "margins": margins.of_wave(item),
        "display": access_codes.display,
        "upload_error": forms.get("upload_error"),
    }


def school_choices(item: Wave, links: list | None = None) -> list[tuple[int, str]]:
    links = waves.schools_of(item) if links is None else links
    return [(link.school_id, link.school.name) for link in links]


@bp.route("/waves/<int:wave_id>/<any(open, close):move>", methods=["GET", "POST"])
def wave_move(wave_id: int, move: str):
    """GET asks for confirmation (with the readiness check before opening); POST does it."""
    item = get_or_404(Wave, wave_id)
    form = ActionForm()
    if form.validate_on_submit():
        waves.move(item, MOVES[move])
        audit.record(current_user, f"{move}_wave", "wave", item.id)
        return done(f"Wave '{item.name}' is now {item.state.value}.", "admin.wave", wave_id=item.id)
    checks = waves.readiness(item) if move == "open" else []
    return render_template(
        "admin/wave_move.html",
        wave=item,
        move=move,
        checks=checks,
        ready=all(c.ok for c in checks if c.required),
        action=form,
    ), 400 if form.errors else 200


@bp.post("/waves/<int:wave_id>/schools")
def wave_schools(wave_id: int):
    return _wave_upload(
        get_or_404(Wave, wave_id),
        UploadForm(),
        "upload",
        "assign_schools",
        lambda wave, form: waves.assign_schools(wave, form.file.data.read()),
        "{count} schools assigned with their expected pupils.",
    )


@bp.post("/waves/<int:wave_id>/margins")
def wave_margins(wave_id: int):
    return _wave_upload(
        get_or_404(Wave, wave_id),
        MarginsForm(),
        "margins_form",
        "upload_margins",
        lambda wave, form: margins.replace_margins(wave, form.file.data.read(), form.source_note.data),
        "{count} population margins saved.",
    )


def _wave_upload(item: Wave, form, form_name: str, action: str, store, message: str):
    """Shared by the wave's CSV uploads: validate, store or report every row, audit, commit."""
    if not form.validate_on_submit():
        return redisplay("admin/wave.html", **wave_page(item, **{form_name: form}))
    try:
        count = store(item, form)
    except UploadError as error:
        return redisplay("admin/wave.html", **wave_page(item, **{form_name: form}, upload_error=error))
    audit.record(current_user, action, "wave", item.id, rows=count)
    return done(message.format(count=count), "admin.wave", wave_id=item.id)


@bp.get("/waves/<int:wave_id>/monitor")
def wave_monitor(wave_id: int):
    item = get_or_404(Wave, wave_id)
    rows, total = monitor.fieldwork(item)
    return render_template("admin/monitor.html", wave=item, rows=rows, total=total, now=utcnow())
