"""The one place that turns domain and HTTP errors into pages; rolls back on server errors."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from survey_app.exceptions import SurveyError
from survey_app.extensions import db

log = logging.getLogger(__name__)

FRIENDLY = {
    400: ("Something went wrong with that page", "Please go back and try again."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Page not found", "If you typed the web address, check it is correct."),
    413: ("That was too much to send", "Please write a shorter answer and try again."),
    429: ("Please wait a moment", "There have been too many tries from this device. "
          "Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service", "Your earlier answers are safe. "
          "Please try again in a few minutes."),
}


def _page(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = FRIENDLY.get(status, FRIENDLY[400])
    return render_template("error.html", title=title or default_title,
                           message=message or default_message), status


def register(app: Flask) -> None:
    @app.errorhandler(SurveyError)
    def survey_error(error: SurveyError):
        db.session.rollback()
        return _page(error.status_code, "We could not do that", error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _page(400, "This page has expired",
                     "Your answers so far are saved. Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # abort(redirect(...)) carries its own response
            return error.response
        response = error.get_response()
        body, status = _page(error.code or 500)
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response, status

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return _page(InternalServerError.code)
