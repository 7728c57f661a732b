"""Population margins that responses are weighted to (DESIGN §7.1)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db


class PopulationMargin(db.Model):
    __table_args__ = (
        UniqueConstraint("wave_id", "variable", "category"),
        CheckConstraint("proportion > 0 AND proportion <= 1", name="proportion_in_range"),
        CheckConstraint("count IS NULL OR count > 0", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    variable: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    proportion: Mapped[float] = mapped_column(Float)
    count: Mapped[float | None] = mapped_column(Float)
    source_note: Mapped[str] = mapped_column(Text, default="")

    wave: Mapped[Wave] = relationship()  # noqa: F821  (resolved by the registry)
