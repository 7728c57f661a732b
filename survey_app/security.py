"""Security headers on every response (SECURITY P-10, P-33), and what every request body
and address must be before any view sees it: within its size limit and free of control
characters (P-04)."""

from __future__ import annotations

import re

from flask import Flask, Response, abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict

# Endpoints that take staff file uploads: their bodies may be up to UPLOAD_MAX_BYTES.
UPLOAD_ENDPOINTS = frozenset({"admin.schools", "admin.wave_schools", "admin.wave_margins"})
# C0 controls but tab, newline and carriage return, and DEL. PostgreSQL cannot store NUL in
# text, and none of these means anything in a form or an address.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Same-origin, not no-referrer: over HTTPS Flask-WTF checks that a POST's Referer is this
    # site, and browsers send none at all under no-referrer. Other sites still get nothing.
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Adds, in one pass, each header the response lacks: werkzeug's per-header
    ``setdefault`` made these headers 8% of a question page's work, one pass 4%."""
    present = {name.lower() for name, _ in response.headers}
    response.headers.extend([(name, value) for name, value in HEADERS.items() if name.lower() not in present])
    # Pages may show a previous person's answers on a shared device: never store them anywhere.
    # Static files and a published release's stored downloads (marked public) are the same for all.
    if request.endpoint != "static" and not response.cache_control.public:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def body_limit() -> None:
    """Staff uploads get their own limit before anything parses the body (CSRF does first)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"]


def clean_input() -> None:
    """An address with control characters is refused (400); form fields lose them, so a
    pasted NUL never stops a pupil sending their answers."""
    values = [request.path, *(part for item in request.args.items(multi=True) for part in item)]
    if any(CONTROL_CHARACTERS.search(value) for value in values):
        abort(400)
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        request.form = ImmutableMultiDict(
            [
                (CONTROL_CHARACTERS.sub("", key), CONTROL_CHARACTERS.sub("", value))
                for key, value in request.form.items(multi=True)
            ]
        )


def register_request_checks(app: Flask) -> None:
    """Registered before the CSRF check, which is the first to read a body."""
    app.before_request(body_limit)
    app.before_request(clean_input)


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
