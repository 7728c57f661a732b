"""Addresses of the app's static files for templates, worked out once per address prefix.

``url_for('static', ...)`` builds through werkzeug's URL map each time: three per page were
5% of a question page's work, for an answer that never changes.
"""

from __future__ import annotations

from flask import Flask, request, url_for


def register(app: Flask) -> None:
    known: dict[tuple[str, str], str] = {}

    def asset_url(filename: str) -> str:
        # The prefix the app is mounted under is part of the address: keyed by it too.
        key = (request.script_root, filename)
        if key not in known:
            known[key] = url_for("static", filename=filename)
        return known[key]

    app.jinja_env.globals["asset_url"] = asset_url
