"""The schools list and its CSV import."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from survey_app.admin import bp
from survey_app.admin.forms import UploadForm
from survey_app.services import audit
from survey_app.services import schools as school_service
from survey_app.services.uploads import UploadError
from survey_app.view_helpers import done, redisplay


@bp.route("/schools", methods=["GET", "POST"], endpoint="schools")
def schools_page():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            summary = school_service.import_schools(form.file.data.read())
        except UploadError as error:
            return redisplay(
                "admin/schools.html", form=form, upload_error=error, schools=school_service.all_schools()
            )
        audit.record(
            current_user, "import_schools", "school", None, added=summary.added, updated=summary.updated
        )
        return done(f"Imported: {summary.added} added, {summary.updated} updated.", "admin.schools")
    return render_template(
        "admin/schools.html", form=form, schools=school_service.all_schools()
    ), 400 if form.errors else 200
