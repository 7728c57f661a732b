"""Staff accounts (admins and analysts). Respondents never have accounts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import db
from survey_app.models.types import UTCDateTime, enum_column, utcnow


class Role(enum.Enum):
    ADMIN = "admin"
    ANALYST = "analyst"


class StaffUser(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on login and logout: a copied session cookie stops working (SECURITY P-16).
    session_nonce: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
