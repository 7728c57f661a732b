"""Respondent blueprint: pupils on kiosk devices and members of the public. No login."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

from survey_app.respond import views  # noqa: E402,F401
