"""Results: the analyst's pages (admins and analysts) and the public results site (no login)."""

from flask import Blueprint

from survey_app.access import PUBLIC, declare
from survey_app.models import Role

bp = Blueprint("results", __name__, url_prefix="/analysis")
public_bp = Blueprint("public_results", __name__, url_prefix="/results")
declare("results", frozenset({Role.ADMIN, Role.ANALYST}))
declare("public_results", PUBLIC)

from survey_app.results import analyst, public  # noqa: E402,F401
