"""Fieldwork monitor: responses, expected pupils, response and completion rates per school,
and responses held for review because a class code went past its cap.

Four grouped queries whatever the size of the wave (measured in benchmarks/bench_monitor.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AccessCode, Borough, Response, School, Wave, WaveSchool


@dataclass
class SchoolProgress:
    school_id: int | None
    name: str
    borough: str
    expected: int
    responses: int
    started: int
    held: int = 0  # past a class code's cap, waiting for review (P-41)

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.expected if self.expected else None

    @property
    def completion_rate(self) -> float | None:
        """Of the surveys begun with this school's codes, the share that was sent."""
        return min(self.responses / self.started, 1.0) if self.started else None


def fieldwork(wave: Wave) -> tuple[list[SchoolProgress], SchoolProgress]:
    """Per-school progress (by borough, then name) and the wave's total."""
    responses = dict(
        db.session.execute(
            select(Response.school_id, func.count())
            .where(Response.wave_id == wave.id)
            .group_by(Response.school_id)
        ).all()
    )
    held = dict(
        db.session.execute(
            select(Response.school_id, func.count())
            .where(Response.wave_id == wave.id, Response.held.is_(True))
            .group_by(Response.school_id)
        ).all()
    )
    started = dict(
        db.session.execute(
            select(AccessCode.school_id, func.sum(AccessCode.starts))
            .where(AccessCode.wave_id == wave.id)
            .group_by(AccessCode.school_id)
        ).all()
    )
    rows = db.session.execute(
        select(School.id, School.name, Borough.name, WaveSchool.expected_pupils)
        .join(WaveSchool, WaveSchool.school_id == School.id)
        .join(Borough)
        .where(WaveSchool.wave_id == wave.id)
        .order_by(Borough.name, School.name)
    ).all()
    schools = [
        SchoolProgress(
            sid, name, borough, expected, responses.get(sid, 0), int(started.get(sid) or 0), held.get(sid, 0)
        )
        for sid, name, borough, expected in rows
    ]
    total = SchoolProgress(
        None,
        "All schools" if schools else "All respondents",
        "",
        sum(s.expected for s in schools),
        sum(responses.values()),
        int(sum(v or 0 for v in started.values())),
        sum(held.values()),
    )
    return schools, total
