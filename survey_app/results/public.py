"""The public results site: published releases only, read from their stored tables."""

from __future__ import annotations

import os

import plotly
from flask import Response, abort, render_template, send_from_directory

from survey_app.results import public_bp as bp
from survey_app.results.pages import release_context
from survey_app.services import exports, release_files, releases

PLOTLY_DIR = os.path.join(os.path.dirname(plotly.__file__), "package_data")


@bp.get("/")
def index():
    return render_template("results/index.html", releases=releases.public_releases())


@bp.get("/<int:release_id>")
def release(release_id: int):
    item = releases.public_release(release_id) or abort(404)
    return render_template("results/release.html", **release_context(item), public=True)


DOWNLOADS = {
    "csv": ("text/csv", exports.release_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", release_files.xlsx),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", release_files.ods),
}


@bp.get("/<int:release_id>/tables.<any(csv, xlsx, ods):fmt>")
def release_tables(release_id: int, fmt: str):
    """The published tables: tidy CSV, or GSS-style XLSX and ODS workbooks."""
    item = releases.public_release(release_id) or abort(404)
    mimetype, render = DOWNLOADS[fmt]
    return Response(
        render(item),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="release-{item.id}.{fmt}"'},
    )


@bp.get("/plotly.min.js")
def plotly_js():
    """The copy of plotly.js the plotly package ships: school networks block CDNs."""
    return send_from_directory(PLOTLY_DIR, "plotly.min.js", max_age=86400)
