"""Keeping personal data no longer than needed (SECURITY P-35), run from cron by
``flask retention run``.

Free-text answers are the part of a response most likely to identify someone; each wave sets
how many days after submission they are kept. Access codes are useless once their wave has
closed or they have expired; they go after a grace period that keeps the fieldwork monitor's
counts while results are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select

from survey_app.extensions import db
from survey_app.models import AccessCode, Response, TextAnswer, Wave
from survey_app.models.types import utcnow

CODE_GRACE = timedelta(days=30)


@dataclass
class RetentionResult:
    text_answers: int
    access_codes: int
    dry_run: bool


def run(now: datetime | None = None, dry_run: bool = False) -> RetentionResult:
    """Deletes (or, in a dry run, only counts) what has passed its retention period."""
    now = now or utcnow()
    text_answers = 0
    for wave_id, days in db.session.execute(select(Wave.id, Wave.text_retention_days)).all():
        old = select(Response.submission_uuid).where(
            Response.wave_id == wave_id, Response.submitted_on < (now - timedelta(days=days)).date()
        )
        text_answers += _remove(TextAnswer, dry_run, TextAnswer.response_uuid.in_(old))
    closed = select(Wave.id).where(Wave.closes_at < now - CODE_GRACE)
    codes = _remove(
        AccessCode, dry_run, or_(AccessCode.wave_id.in_(closed), AccessCode.expires_at < now - CODE_GRACE)
    )
    return RetentionResult(text_answers, codes, dry_run)


def _remove(model, dry_run: bool, *where) -> int:
    count = db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    if count and not dry_run:
        db.session.execute(delete(model).where(*where).execution_options(synchronize_session=False))
    return count
