"""The audit log: one row per staff action (SECURITY P-30). Never answers, codes or passwords."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from survey_app.extensions import db
from survey_app.models import AuditEvent, StaffUser

log = logging.getLogger("survey_app.audit")


def record(
    actor: StaffUser | None, action: str, object_type: str, object_id: object = None, **detail: Any
) -> AuditEvent:
    """Adds an audit row in the caller's transaction and logs it on one line."""
    entry = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    db.session.add(entry)
    # %r keeps control characters escaped: a crafted value cannot forge a log line (P-31).
    log.info("audit %r by %r on %r %r", action, actor.email if actor else None, object_type, entry.object_id)
    return entry


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context, instances) -> None:
    """The application may add audit rows but never change or delete one."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEvent) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise PermissionError("the audit log is append-only")


@dataclass
class AuditPage:
    """One page of the log, newest first, each event with its actor's email (or ``None``)."""

    events: list[tuple[AuditEvent, str | None]]
    page: int
    pages: int
    total: int


def search(
    person: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """Events filtered by the actor's email, action and days (inclusive, UTC), one page at a time."""
    query = select(AuditEvent, StaffUser.email).outerjoin(StaffUser, StaffUser.id == AuditEvent.actor_id)
    if person:
        query = query.where(StaffUser.email == person)
    if action:
        query = query.where(AuditEvent.action == action)
    if since:
        query = query.where(AuditEvent.occurred_at >= datetime.combine(since, time.min, UTC))
    if until:
        query = query.where(
            AuditEvent.occurred_at < datetime.combine(until + timedelta(days=1), time.min, UTC)
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        query.order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return AuditPage([(event, email) for event, email in rows], page, pages, total)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def people() -> list[str]:
    return list(db.session.scalars(select(StaffUser.email).order_by(StaffUser.email)))
