"""Respondent blueprint: pupils on kiosk devices and members of the public. No login."""

from flask import Blueprint

from survey_app.access import PUBLIC, declare

bp = Blueprint("respond", __name__)
declare("respond", PUBLIC)

from survey_app.respond import entry, views  # noqa: E402,F401
