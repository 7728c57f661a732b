"""Waves: creation, the schools taking part, lifecycle and the readiness check before opening."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from survey_app.exceptions import SurveyError, WaveNotReadyError
from survey_app.extensions import db
from survey_app.models import (
    AccessCode,
    Audience,
    CodeKind,
    PopulationMargin,
    QuestionnaireVersion,
    School,
    Wave,
    WaveSchool,
    WaveState,
)
from survey_app.models.types import utcnow
from survey_app.services.uploads import UploadError, read_csv


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "wave"


def create_wave(
    name: str,
    version: QuestionnaireVersion,
    opens_at: datetime,
    closes_at: datetime,
    open_link: bool = False,
    text_retention_days: int = 730,
) -> Wave:
    """A draft wave; the audience is the questionnaire's."""
    name = name.strip()
    if not name:
        raise SurveyError("Give the wave a name.")
    if closes_at <= opens_at:
        raise SurveyError("The closing date must be after the opening date.")
    if db.session.scalar(select(Wave).where(Wave.name == name)):
        raise SurveyError(f"There is already a wave called '{name}'.")
    audience = version.questionnaire.audience
    slug, suffix = slugify(name), 1
    while db.session.scalar(select(Wave).where(Wave.slug == slug)):
        suffix += 1
        slug = f"{slugify(name)[:55]}-{suffix}"
    wave = Wave(
        name=name,
        slug=slug,
        version=version,
        audience=audience,
        opens_at=opens_at,
        closes_at=closes_at,
        open_link=open_link and audience is Audience.PUBLIC,
        text_retention_days=text_retention_days,
    )
    db.session.add(wave)
    db.session.flush()
    return wave


def assign_schools(wave: Wave, data: bytes) -> int:
    """Sets expected pupils per school from ``urn,expected_pupils`` and, where schools were
    sampled, ``selection_weight`` (1 / the school's chance of selection); all rows or none."""
    rows = read_csv(data, {"urn", "expected_pupils"}, {"selection_weight"})
    schools = {
        s.urn: s for s in db.session.scalars(select(School).where(School.urn.in_([r["urn"] for r in rows])))
    }
    problems = []
    for number, row in enumerate(rows, start=2):
        if row["urn"] not in schools:
            problems.append(f"Row {number}: no school with URN '{row['urn']}' (import it first).")
        if not row["expected_pupils"].isdigit() or int(row["expected_pupils"]) > 5000:
            problems.append(
                f"Row {number}: expected pupils '{row['expected_pupils']}' should be "
                "a whole number up to 5,000."
            )
        if _selection_weight(row.get("selection_weight")) is None:
            problems.append(
                f"Row {number}: selection weight '{row['selection_weight']}' should "
                "be a number of at least 1 (1 / the school's chance of selection)."
            )
    if problems:
        raise UploadError("No schools were assigned: fix these rows and upload again.", problems)
    for row in rows:
        set_expected(
            wave,
            schools[row["urn"]],
            int(row["expected_pupils"]),
            _selection_weight(row.get("selection_weight")),
        )
    return len(rows)


def _selection_weight(text: str | None) -> float | None:
    """1 when blank; None (a problem) unless a finite number of at least 1."""
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 1 else None


def set_expected(wave: Wave, school: School, expected: int, selection_weight: float = 1.0) -> WaveSchool:
    if wave.state is WaveState.PUBLISHED:
        raise SurveyError("A published wave cannot change.")
    link = db.session.scalar(
        select(WaveSchool).where(WaveSchool.wave_id == wave.id, WaveSchool.school_id == school.id)
    )
    if link is None:
        link = WaveSchool(wave=wave, school=school, expected_pupils=expected)
        db.session.add(link)
    link.expected_pupils = expected
    link.selection_weight = selection_weight
    db.session.flush()
    return link


def close_past_waves(now: datetime | None = None) -> list[Wave]:
    """Closes open waves whose closing date has passed (run on a schedule by ``flask waves tick``)."""
    now = now or utcnow()
    due = list(db.session.scalars(select(Wave).where(Wave.state == WaveState.OPEN, Wave.closes_at <= now)))
    for wave in due:
        wave.close()
    return due


def find(wave_id: int) -> Wave | None:
    return db.session.get(Wave, wave_id)


def by_open_link(slug: str) -> Wave | None:
    """The public wave answering at /public/<slug>, if it takes open-link answers."""
    return db.session.scalar(select(Wave).where(Wave.slug == slug, Wave.open_link.is_(True)))


def all_waves() -> list[Wave]:
    return list(db.session.scalars(select(Wave).order_by(Wave.opens_at.desc())))


def schools_of(wave: Wave) -> list[WaveSchool]:
    return list(
        db.session.scalars(
            select(WaveSchool).join(School).where(WaveSchool.wave_id == wave.id).order_by(School.name)
        )
    )


@dataclass(frozen=True)
class Check:
    """One line of the readiness check shown before a wave opens."""

    label: str
    ok: bool
    detail: str
    required: bool = True


def readiness(wave: Wave) -> list[Check]:
    """What a wave needs before respondents can use it. Margins are not required to open
    (they may come later, from the census) but results cannot be weighted without them."""
    checks = [
        Check(
            "Questionnaire",
            True,
            f"{wave.version.questionnaire.title}, version {wave.version.number}. Opening "
            "freezes it: its wording cannot change afterwards.",
        ),
        Check(
            "Dates",
            wave.closes_at > utcnow(),
            f"Open from {wave.opens_at:%d %B %Y} until {wave.closes_at:%d %B %Y}."
            if wave.closes_at > utcnow()
            else "The closing date has passed.",
        ),
    ]
    working = (AccessCode.wave_id == wave.id, AccessCode.revoked_at.is_(None))
    if wave.audience is Audience.PUPIL:
        links = schools_of(wave)
        expected = sum(link.expected_pupils for link in links)
        with_codes = set(
            db.session.scalars(
                select(AccessCode.school_id).where(*working, AccessCode.kind == CodeKind.CLASS)
            )
        )
        without = [link.school.name for link in links if link.school_id not in with_codes]
        checks += [
            Check(
                "Schools",
                bool(links),
                f"{len(links)} schools taking part."
                if links
                else "No schools yet: upload the schools and their expected pupils.",
            ),
            Check("Expected pupils", expected > 0, f"{expected:,} pupils expected."),
            Check(
                "Class codes",
                bool(with_codes),
                f"{len(with_codes)} of {len(links)} schools have class codes."
                if with_codes
                else "No class codes yet.",
            ),
        ]
        if with_codes and without:
            checks.append(
                Check(
                    "Schools without codes",
                    False,
                    "Their pupils cannot take part "
                    "until you make their codes: "
                    + ", ".join(without[:10])
                    + ("…" if len(without) > 10 else "."),
                    required=False,
                )
            )
    else:
        invitations = db.session.scalar(select(func.count(AccessCode.id)).where(*working)) or 0
        checks.append(
            Check(
                "Invitation codes or open link",
                invitations > 0 or wave.open_link,
                f"{invitations:,} invitation codes" + (" and an open link." if wave.open_link else "."),
            )
        )
    margins = (
        db.session.scalar(
            select(func.count(PopulationMargin.variable.distinct())).where(
                PopulationMargin.wave_id == wave.id
            )
        )
        or 0
    )
    checks.append(
        Check(
            "Population margins",
            margins > 0,
            f"Margins for {margins} variables."
            if margins
            else "None yet: results cannot be weighted until they are uploaded.",
            required=False,
        )
    )
    return checks


def move(wave: Wave, target: WaveState) -> None:
    """Opens or closes a wave; opening (or re-opening) needs every required check to pass."""
    if target is not WaveState.OPEN:
        wave.close()
        return
    if wave.allows(target):  # otherwise the lifecycle refuses it below, with its own message
        missing = [check.label.lower() for check in readiness(wave) if check.required and not check.ok]
        if missing:
            raise WaveNotReadyError(
                f"Wave '{wave.name}' is not ready to open: check the {', '.join(missing)}."
            )
    wave.open()
