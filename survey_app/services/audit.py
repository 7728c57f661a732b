"""The audit log: one row per staff action (SECURITY P-30). Never answers, codes or passwords."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from survey_app.extensions import db
from survey_app.models import AuditEvent, StaffUser

log = logging.getLogger("survey_app.audit")


def record(actor: StaffUser | None, action: str, object_type: str, object_id: object = None,
           **detail: Any) -> AuditEvent:
    """Adds an audit row in the caller's transaction and logs it on one line."""
    entry = AuditEvent(actor_id=actor.id if actor else None, action=action,
                       object_type=object_type,
                       object_id=None if object_id is None else str(object_id), detail=detail)
    db.session.add(entry)
    # %r keeps control characters escaped: a crafted value cannot forge a log line (P-31).
    log.info("audit %r by %r on %r %r", action, actor.email if actor else None, object_type,
             entry.object_id)
    return entry


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context, instances) -> None:
    """The application may add audit rows but never change or delete one."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEvent) and (
                instance in session.deleted or session.is_modified(instance)):
            raise PermissionError("the audit log is append-only")
