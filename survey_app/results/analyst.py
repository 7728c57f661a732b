"""The analyst's pages: weigh a wave, read its results, prepare and publish releases."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import Release, Wave
from survey_app.respond.forms import EmptyForm
from survey_app.results import bp
from survey_app.results.pages import release_context, wave_context
from survey_app.services import audit, releases, waves, weighting
from survey_app.view_helpers import done, get_or_404


@bp.get("/")
def home():
    return render_template("results/home.html", waves=waves.all_waves(),
                           drafts=releases.drafts(), published=releases.public_releases())


@bp.get("/waves/<int:wave_id>")
def wave(wave_id: int):
    item = get_or_404(Wave, wave_id)
    return render_template("results/wave.html", **wave_context(item), action=EmptyForm())


@bp.post("/waves/<int:wave_id>/weigh")
def weigh(wave_id: int):
    item = get_or_404(Wave, wave_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    run = weighting.run(item, current_user)
    audit.record(current_user, "weigh_wave", "wave", item.id, run=run.id, converged=run.converged)
    message = "Weighted." if run.converged else f"Weighting did not converge: {run.problem}"
    return done(message, "results.wave", wave_id=item.id)


@bp.post("/waves/<int:wave_id>/releases")
def draft(wave_id: int):
    item = get_or_404(Wave, wave_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    release = releases.create_draft(item, current_user)
    audit.record(current_user, "prepare_release", "release", release.id, wave=item.id)
    return done("Draft release prepared. Someone else must check and publish it.",
                 "results.release", release_id=release.id)


@bp.get("/releases/<int:release_id>")
def release(release_id: int):
    item = get_or_404(Release, release_id)
    return render_template("results/release.html", **release_context(item), public=False,
                           action=EmptyForm())


@bp.post("/releases/<int:release_id>/publish")
def publish(release_id: int):
    item = get_or_404(Release, release_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        releases.publish(item, current_user)
    except SurveyError as error:
        db.session.rollback()
        flash(error.message)
        return redirect(url_for("results.release", release_id=item.id), 303)
    audit.record(current_user, "publish_release", "release", item.id, checksum=item.checksum)
    return done("Published.", "public_results.release", release_id=item.id)
