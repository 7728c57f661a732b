"""Staff area: signing in (password, then a second factor) and out. Templates in ``staff/``."""

from flask import Blueprint, Flask
from flask_login import current_user

from survey_app.access import PUBLIC, declare, enforce_policy
from survey_app.extensions import login_manager
from survey_app.services import staff as staff_service

bp = Blueprint("staff", __name__, url_prefix="/staff")
# Each sign-in step by name, so a staff page added later is refused until declared (P-22).
for _step in ("login", "logout", "second_factor", "enrol_second_factor"):
    declare(f"staff.{_step}", PUBLIC)  # each checks the part-way session it needs itself


def register(app: Flask) -> None:
    """The blueprint, the login manager and the access policy every request passes."""
    # Flask-Login's own context processor loads the user for every template, and for a pupil's
    # session (no staff identity in it) its strong session protection then rewrites the cookie
    # on every page. The proxy loads the user only where a template looks at it.
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    login_manager.user_loader(staff_service.load_user)
    app.register_blueprint(bp)
    app.before_request(enforce_policy)


from survey_app.staff import views  # noqa: E402,F401
