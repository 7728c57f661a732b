"""Application factory: configuration, extensions, blueprints, error handlers and CLI. No I/O."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, Config, ProductionConfig
from survey_app.extensions import csrf, db, limiter, migrate
from survey_app.sessions import CookieSessionInterface

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(config: type[Config] | None = None, **overrides: object) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    _configure(app, config, overrides)
    _init_extensions(app)
    _register_blueprints(app)
    _register_handlers(app)
    _register_cli(app)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    return app


def _configure(app: Flask, config: type[Config] | None, overrides: dict[str, object]) -> None:
    config = config or CONFIGS[os.environ.get("SURVEY_CONFIG", "development")]
    if issubclass(config, ProductionConfig):
        config.check()
    app.config.from_object(config)
    app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_timeout": app.config["DB_POOL_TIMEOUT_SECONDS"],
            "connect_args": {"connect_timeout": app.config["DB_CONNECT_TIMEOUT_SECONDS"]},
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    app.session_interface = CookieSessionInterface()


def _init_extensions(app: Flask) -> None:
    import survey_app.models  # noqa: F401  (register every table with the metadata)
    from survey_app import security

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    security.register_request_checks(app)
    csrf.init_app(app)
    limiter.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from survey_app import questions, staff
    from survey_app.admin import bp as admin_bp
    from survey_app.respond import bp as respond_bp
    from survey_app.results import bp as results_bp
    from survey_app.results import public_bp as public_results_bp

    staff.register(app)
    questions.register(app)
    app.register_blueprint(respond_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(public_results_bp)


def _register_handlers(app: Flask) -> None:
    from survey_app import assets, errors, security

    assets.register(app)
    errors.register(app)
    security.register(app)


def _register_cli(app: Flask) -> None:
    from survey_app import cli

    cli.register(app)
