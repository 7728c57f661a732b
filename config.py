"""Configuration classes, chosen by ``create_app`` or the ``SURVEY_CONFIG`` environment variable.

Everything that differs between a laptop, CI and production comes from environment variables here,
so that the code itself never branches on where it runs.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'surveys.sqlite3'}")
    # Bound parameters hold answers and response ids: never in a log line or error (P-31).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    # On PostgreSQL: how long a request waits for a pooled connection, or to connect, before
    # the user gets a quick "try again shortly" page instead of a long wait and an error.
    DB_POOL_TIMEOUT_SECONDS = 3
    DB_CONNECT_TIMEOUT_SECONDS = 3
    RETRY_AFTER_SECONDS = 30
    # A body larger than this cannot be a questionnaire page; refuse it before parsing (P-04).
    MAX_CONTENT_LENGTH = 64 * 1024
    # A pupil interrupted for a lesson must not lose their page to an expired token (P-05).
    WTF_CSRF_TIME_LIMIT = int(timedelta(hours=12).total_seconds())
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Weighing, results snapshots, drafts and publication run as RQ jobs on this Redis; without
    # one (a laptop, the tests) they run in the process that asked for them.
    JOB_QUEUE_URL = os.environ.get("JOB_QUEUE_URL") or None
    # A job still running after this long has lost its worker and is shown as failed.
    JOB_TIMEOUT_SECONDS = int(os.environ.get("JOB_TIMEOUT_SECONDS", str(30 * 60)))
    # Failed code entries only: a school of 1,500 pupils behind one IP never meets these (P-14).
    CODE_FAILURES_PER_SESSION = "10 per minute"
    CODE_FAILURES_PER_IP = "100 per 10 minutes"
    # Public open-link submissions per IP (P-38); school traffic uses class codes and is exempt.
    PUBLIC_SUBMITS_PER_IP = "6 per minute"
    # On a shared school device an idle draft is cleared so the next pupil cannot see it; on a
    # person's own device (invitation or open link) a long interruption must not lose answers (P-05).
    KIOSK_IDLE_SECONDS = 15 * 60
    PERSONAL_IDLE_SECONDS = 12 * 60 * 60
    FREE_TEXT_MAX_CHARS = 1000
    STAFF_IDLE_SECONDS = 30 * 60
    LOGIN_FAILURES_PER_IP = "20 per 10 minutes"
    LOGIN_FAILURES_PER_ACCOUNT = "5 per 10 minutes"
    # Staff must set up and use an authenticator app (P-15). Off on a laptop so that the demo
    # can be tried without one; always on in production.
    STAFF_MFA_REQUIRED = os.environ.get("STAFF_MFA_REQUIRED", "") == "1"
    # Admin uploads (school lists, margins) may be larger than a questionnaire page.
    UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (ProxyFix).
    # Exactly the number there are: one more lets a client choose its own address.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105  (tests only)
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # the suite passes its own database
    RATELIMIT_STORAGE_URI = "memory://"
    JOB_QUEUE_URL = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "1"))  # nginx (deploy/)
    STAFF_MFA_REQUIRED = True

    @classmethod
    def check(cls) -> None:
        """Refuse to start with a development secret, the embedded database or per-worker
        rate limits (DESIGN §9)."""
        secret = os.environ.get("SECRET_KEY", "")
        if len(secret) < 32:
            raise RuntimeError("ProductionConfig needs SECRET_KEY of at least 32 characters")
        if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
            raise RuntimeError("ProductionConfig needs DATABASE_URL pointing at PostgreSQL")
        if not os.environ.get("RATELIMIT_STORAGE_URI", "").startswith(("redis://", "rediss://")):
            raise RuntimeError(
                "ProductionConfig needs RATELIMIT_STORAGE_URI pointing at Redis: "
                "limits kept in each worker's memory are several times looser"
            )
        if not os.environ.get("JOB_QUEUE_URL", "").startswith(("redis://", "rediss://")):
            raise RuntimeError(
                "ProductionConfig needs JOB_QUEUE_URL pointing at Redis: weighing in a web worker "
                "holds it for as long as the weighting takes"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
