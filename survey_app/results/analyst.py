"""The analyst's pages: weigh a wave, read its results, prepare and publish releases."""

from __future__ import annotations

import os

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from survey_app import jobs
from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.forms import ActionForm
from survey_app.models import Job, JobKind, JobState, Release, Wave
from survey_app.results import bp
from survey_app.results.pages import release_context, wave_context
from survey_app.services import audit, microdata, releases, waves
from survey_app.view_helpers import get_or_404


@bp.get("/")
def home():
    return render_template(
        "results/home.html",
        waves=waves.all_waves(),
        drafts=releases.drafts(),
        published=releases.public_releases(),
    )


@bp.get("/waves/<int:wave_id>")
def wave(wave_id: int):
    item = get_or_404(Wave, wave_id)
    return render_template("results/wave.html", **wave_context(item), action=ActionForm())


def _job(kind: JobKind, wave: Wave, **params: object) -> Job | None:
    """Records and starts a job for the wave, flashing how it went (or why it cannot start)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        job = jobs.submit(kind, wave, current_user, **params)
    except SurveyError as error:
        db.session.rollback()
        flash(error.message)
        return None
    db.session.commit()
    jobs.start(job)
    if job.active:
        flash("Started: this page shows how far it has got.")
    elif job.state is JobState.DONE or kind is JobKind.PUBLISH:  # the wave page shows other failures
        flash(job.message)
    return job


@bp.post("/waves/<int:wave_id>/weigh")
def weigh(wave_id: int):
    item = get_or_404(Wave, wave_id)
    _job(JobKind.WEIGH, item)
    return redirect(url_for("results.wave", wave_id=item.id), 303)


@bp.post("/waves/<int:wave_id>/releases")
def draft(wave_id: int):
    item = get_or_404(Wave, wave_id)
    job = _job(JobKind.DRAFT, item)
    if job is not None and job.state is JobState.DONE:
        return redirect(url_for("results.release", release_id=job.result_id), 303)
    return redirect(url_for("results.wave", wave_id=item.id), 303)


@bp.get("/releases/<int:release_id>")
def release(release_id: int):
    item = get_or_404(Release, release_id)
    return render_template("results/release.html", **release_context(item), public=False, action=ActionForm())


@bp.post("/releases/<int:release_id>/publish")
def publish(release_id: int):
    item = get_or_404(Release, release_id)
    try:
        releases.check_publisher(item, current_user)
    except SurveyError as error:
        flash(error.message)
        return redirect(url_for("results.release", release_id=item.id), 303)
    job = _job(JobKind.PUBLISH, item.wave, release_id=item.id)
    if job is not None and job.state is JobState.DONE:
        return redirect(url_for("public_results.release", release_id=item.id), 303)
    if job is not None and job.active:
        return redirect(url_for("results.wave", wave_id=item.wave_id), 303)
    return redirect(url_for("results.release", release_id=item.id), 303)


@bp.get("/waves/<int:wave_id>/export")
def export(wave_id: int):
    """The wave's microdata with weights: CSV streams; the other formats go via a temp file."""
    item = get_or_404(Wave, wave_id)
    format, include_text = request.args.get("format", "csv"), request.args.get("text") == "1"
    if format not in microdata.FORMATS:
        flash("Choose CSV, Excel, SPSS or Stata.")
        return redirect(url_for("results.wave", wave_id=item.id), 303)
    try:
        data = microdata.load(item, include_text)
    except SurveyError as error:
        flash(error.message)
        return redirect(url_for("results.wave", wave_id=item.id), 303)
    audit.record(
        current_user,
        "export_microdata",
        "wave",
        item.id,
        format=format,
        free_text=include_text,
        rows=len(data.frame),
        unweighted=data.unweighted,
        weight_run=data.weight_run_id,
    )
    db.session.commit()
    name = data.filename(item, format)
    if format == "csv":
        return Response(
            stream_with_context(microdata.csv_chunks(data)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    path = microdata.to_file(data, format)
    response = send_file(path, mimetype=microdata.FORMATS[format], as_attachment=True, download_name=name)
    response.call_on_close(lambda: os.unlink(path))
    return response
