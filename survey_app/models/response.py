"""Responses and their answers: choices as codes on the response, free text in its own rows.

Deliberately minimal (SECURITY P-06 to P-08): no IP address, user agent, session or access code,
and the submission time only to the day. The primary key is the random UUID made when the
respondent started, which is also the idempotency key that makes a resubmission a no-op.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy import Boolean, Date, ForeignKey, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db


class Response(db.Model):
    # A wave's responses by day: what a wave reads, and the few days since its last weighting.
    __table_args__ = (sa.Index("ix_response_wave_id_submitted_on", "wave_id", "submitted_on"),)

    submission_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    submitted_on: Mapped[date] = mapped_column(Date)
    completed: Mapped[bool] = mapped_column(Boolean, default=True)
    # Sent with a class code already past its school's expected pupils × 1.1 (P-41): kept,
    # shown on the monitor, and left out of results until an admin has looked at it.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa.false())
    # Every single-choice answer, two bytes per question of the wave's version (answer_codes):
    # a wave reads as one range scan of its responses, with no per-answer rows to regroup.
    answer_codes: Mapped[bytes] = mapped_column(LargeBinary)

    text_answers: Mapped[list[TextAnswer]] = relationship(back_populates="response")


class TextAnswer(db.Model):
    """A free-text answer: rare, deleted after the wave's retention period, never analysed."""

    __tablename__ = "answer"  # its name since revision 0001, when it held every answer

    response_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("response.submission_uuid", ondelete="CASCADE"), primary_key=True
    )
    question_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    text_value: Mapped[str] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="text_answers")
