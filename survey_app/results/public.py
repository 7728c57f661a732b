"""The public results site: published releases only, read from their stored tables."""

from __future__ import annotations

import os

import plotly
from flask import Response, abort, render_template, request, send_from_directory

from survey_app.extensions import db
from survey_app.results import public_bp as bp
from survey_app.results.pages import release_context
from survey_app.services import release_files, releases

PLOTLY_DIR = os.path.join(os.path.dirname(plotly.__file__), "package_data")


@bp.get("/")
def index():
    return render_template("results/index.html", releases=releases.public_releases())


@bp.get("/<int:release_id>")
def release(release_id: int):
    item = releases.public_release(release_id) or abort(404)
    return render_template("results/release.html", **release_context(item), public=True)


@bp.get("/<int:release_id>/tables.<any(csv, xlsx, ods):fmt>")
def release_tables(release_id: int, fmt: str):
    """The published tables as stored at publication (tidy CSV, GSS-style XLSX and ODS), with
    their SHA-256 as the ETag: nothing is rendered per download."""
    item = releases.public_release(release_id) or abort(404)
    stored = release_files.stored(item, fmt)
    db.session.commit()  # a release published before files were stored keeps the ones just made
    response = Response(
        stored.content,
        mimetype=release_files.MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="release-{item.id}.{fmt}"'},
    )
    response.set_etag(stored.sha256)
    response.cache_control.public, response.cache_control.max_age = True, 3600
    return response.make_conditional(request)


@bp.get("/plotly.min.js")
def plotly_js():
    """The copy of plotly.js the plotly package ships: school networks block CDNs."""
    return send_from_directory(PLOTLY_DIR, "plotly.min.js", max_age=86400)
