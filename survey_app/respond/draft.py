"""The respondent's place in the survey, kept in the signed session cookie until they send it.

Nothing is written to the database before the final "Send": a half-finished survey leaves no
trace on the server, and a dropped connection loses nothing because the cookie stays on the
device. A kiosk (a class session opened by a teacher) outlives each pupil's draft.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field

from flask import current_app, session

DRAFT_KEY = "draft"
KIOSK_KEY = "kiosk"
SENT_KEY = "sent"  # "pupil" or "public" once this device has sent answers: the thank-you may show


@dataclass
class Kiosk:
    wave_id: int
    school_id: int
    code_id: int
    place: str  # school and class, shown on the start screen so the teacher knows it is right


@dataclass
class Draft:
    wave_id: int
    version_id: int
    school_id: int | None
    code_id: int | None
    language: str
    on_kiosk: bool
    submission_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    answers: dict[str, str] = field(default_factory=dict)
    assented: bool = False
    touched_at: float = field(default_factory=time.time)
    # When the version was frozen (POSIX time): the key of this process's copy of it.
    frozen_at: float | None = None


def current_kiosk() -> Kiosk | None:
    raw = session.get(KIOSK_KEY)
    return Kiosk(**raw) if raw else None


def open_kiosk(kiosk: Kiosk) -> None:
    session.clear()
    session[KIOSK_KEY] = asdict(kiosk)


def idle_limit(on_kiosk: bool) -> int:
    return current_app.config["KIOSK_IDLE_SECONDS" if on_kiosk else "PERSONAL_IDLE_SECONDS"]


def current_draft() -> tuple[Draft | None, bool]:
    """The draft, or None; the flag says a draft was discarded for being idle too long."""
    raw = session.get(DRAFT_KEY)
    if not raw:
        return None, False
    draft = Draft(**raw)
    if time.time() - draft.touched_at > idle_limit(draft.on_kiosk):
        discard_draft()
        return None, True
    return draft, False


def save_draft(draft: Draft) -> None:
    draft.touched_at = time.time()
    session[DRAFT_KEY] = asdict(draft)


def discard_draft() -> None:
    session.pop(DRAFT_KEY, None)
