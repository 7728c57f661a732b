"""The one place that turns domain and HTTP errors into pages; rolls back on server errors."""

from __future__ import annotations

import contextlib
import logging

import sqlalchemy.exc
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from survey_app.exceptions import SurveyError
from survey_app.extensions import db

log = logging.getLogger(__name__)
STAFF_AREAS = frozenset({"admin", "results", "staff"})

FRIENDLY = {
    400: ("Something went wrong with that page", "Please go back and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Page not found", "If you typed the web address, check it is correct."),
    413: ("That was too much to send", "Please write a shorter answer and try again."),
    429: (
        "Please wait a moment",
        "There have been too many tries from this device. Wait a minute, then try again.",
    ),
    500: (
        "Sorry, there is a problem with the service",
        "Your earlier answers are safe. Please try again in a few minutes.",
    ),
    503: (
        "The service is busy",
        "Your answers so far are kept on this device. Wait a minute, then press the button again.",
    ),
}


def _staff_size_message() -> str:
    limit = current_app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024
    return (
        f"Files can be up to {limit:g} MB. Split the file into smaller files, or remove "
        "columns the upload does not use, and upload each one."
    )


def _page(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = FRIENDLY.get(status, FRIENDLY[400])
    return render_template(
        "error.html",
        title=title or default_title,
        message=message or default_message,
        staff_page=request.blueprint in STAFF_AREAS,
    ), status


def register(app: Flask) -> None:
    @app.errorhandler(SurveyError)
    def survey_error(error: SurveyError):
        db.session.rollback()
        return _page(error.status_code, "We could not do that", error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _page(
            400,
            "This page has expired",
            "Your answers so far are saved. Go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # abort(redirect(...)) carries its own response
            return error.response
        response = error.get_response()
        body, status = (
            _page(413, "That file is too large", _staff_size_message())
            if error.code == 413 and request.blueprint in STAFF_AREAS
            else _page(error.code or 500)
        )
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response, status

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    @app.errorhandler(sqlalchemy.exc.TimeoutError)
    def database_unavailable(error: Exception):
        """The database is down, restarting or out of connections: a quick 503, never a
        long wait or a 500. The pupil's draft lives in their session, so nothing is lost."""
        with contextlib.suppress(sqlalchemy.exc.SQLAlchemyError):
            db.session.rollback()
        log.warning("database unavailable: %s", type(error).__name__)
        body, status = _page(503)
        return body, status, {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return _page(InternalServerError.code)
