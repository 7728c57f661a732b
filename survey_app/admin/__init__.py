"""Admin blueprint: questionnaires, schools, waves, codes, margins, fieldwork, audit. Admins only."""

from flask import Blueprint

from survey_app.access import declare
from survey_app.models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
declare("admin", frozenset({Role.ADMIN}))  # the role guard, once for every admin route

from survey_app.admin import audit_log, codes, questionnaires, schools, waves  # noqa: E402,F401
