"""Boroughs (London local authorities) and the schools in them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db


class Borough(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # ONS local authority code, e.g. E09000001 for the City of London.
    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    schools: Mapped[list[School]] = relationship(back_populates="borough")


class School(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique Reference Number from Get Information About Schools; re-imports update by it.
    urn: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    borough_id: Mapped[int] = mapped_column(ForeignKey("borough.id"), index=True)
    phase: Mapped[str] = mapped_column(String(40), default="Secondary")

    borough: Mapped[Borough] = relationship(back_populates="schools")
