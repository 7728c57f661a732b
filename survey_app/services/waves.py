"""Waves: creation, taking part schools, lifecycle, codes and population margins."""

from __future__ import annotations

import math
import re
from datetime import datetime

import pandas as pd
from sqlalchemy import select

from analysis.errors import AnalysisInputError
from analysis.margins import parse_margins
from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import (
    Audience,
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


def create_wave(name: str, version: QuestionnaireVersion, opens_at: datetime,
                closes_at: datetime, open_link: bool = False, text_retention_days: int = 730
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
    wave = Wave(name=name, slug=slug, version=version, audience=audience, opens_at=opens_at,
                closes_at=closes_at, open_link=open_link and audience is Audience.PUBLIC,
                text_retention_days=text_retention_days)
    db.session.add(wave)
    db.session.flush()
    return wave


def assign_schools(wave: Wave, data: bytes) -> int:
    """Sets expected pupils per school from ``urn,expected_pupils`` and, where schools were
    sampled, ``selection_weight`` (1 / the school's chance of selection); all rows or none."""
    rows = read_csv(data, {"urn", "expected_pupils"}, {"selection_weight"})
    schools = {s.urn: s for s in db.session.scalars(
        select(School).where(School.urn.in_([r["urn"] for r in rows])))}
    problems = []
    for number, row in enumerate(rows, start=2):
        if row["urn"] not in schools:
            problems.append(f"Row {number}: no school with URN '{row['urn']}' (import it first).")
        if not row["expected_pupils"].isdigit() or int(row["expected_pupils"]) > 5000:
            problems.append(f"Row {number}: expected pupils '{row['expected_pupils']}' should be "
                            "a whole number up to 5,000.")
        if _selection_weight(row.get("selection_weight")) is None:
            problems.append(f"Row {number}: selection weight '{row['selection_weight']}' should "
                            "be a number of at least 1 (1 / the school's chance of selection).")
    if problems:
        raise UploadError("No schools were assigned: fix these rows and upload again.", problems)
    for row in rows:
        set_expected(wave, schools[row["urn"]], int(row["expected_pupils"]),
                     _selection_weight(row.get("selection_weight")))
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


def set_expected(wave: Wave, school: School, expected: int, selection_weight: float = 1.0
                 ) -> WaveSchool:
    if wave.state is WaveState.PUBLISHED:
        raise SurveyError("A published wave cannot change.")
    link = db.session.scalar(select(WaveSchool).where(WaveSchool.wave_id == wave.id,
                                                      WaveSchool.school_id == school.id))
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
    due = list(db.session.scalars(select(Wave).where(Wave.state == WaveState.OPEN,
                                                     Wave.closes_at <= now)))
    for wave in due:
        wave.close()
    return due


def _variable_categories(wave: Wave) -> dict[str, set[str]]:
    """What a margin may weight: each single-choice question's answer codes (missing codes
    excluded) and ``ethnic_group``, derived from the ethnicity options' groups."""
    allowed: dict[str, set[str]] = {}
    for question in wave.version.questions:
        codes = {o.code for o in question.options if not o.is_missing}
        if codes:
            allowed[question.key] = codes
        groups = {o.group for o in question.options if o.group}
        if question.key == "ethnicity" and groups:
            allowed["ethnic_group"] = groups
    return allowed


def replace_margins(wave: Wave, data: bytes, source_note: str) -> int:
    """Replaces the wave's margins with ``variable,category,proportion[,count]``.

    Every problem names its row; sums and positivity are checked by the analysis library
    that will use them, so the app and the weighting can never disagree on what is valid.
    """
    rows = read_csv(data, {"variable", "category", "proportion"}, {"count"})
    allowed = _variable_categories(wave)
    problems = []
    for number, row in enumerate(rows, start=2):
        variable, category = row["variable"], row["category"]
        if variable not in allowed:
            problems.append(f"Row {number}: '{variable}' is not a question of this wave's "
                            f"questionnaire (use one of: {', '.join(sorted(allowed))}).")
        elif category not in allowed[variable]:
            problems.append(f"Row {number}: '{category}' is not an answer code of '{variable}'.")
        for column in ("proportion", "count"):
            value = row.get(column, "")
            if column == "count" and value == "":
                continue
            try:
                number_value = float(value)
            except ValueError:
                problems.append(f"Row {number}: {column} '{value}' is not a number.")
                continue
            if not number_value > 0 or (column == "proportion" and number_value > 1):
                problems.append(f"Row {number}: {column} must be above 0"
                                + (" and at most 1." if column == "proportion" else "."))
    if problems:
        raise UploadError("The margins were not saved: fix these rows and upload again.", problems)
    table = pd.DataFrame(rows)
    if "count" in table:
        table["count"] = pd.to_numeric(table["count"].replace("", None))
    try:
        parse_margins(table, base_total=1.0)
    except AnalysisInputError as error:
        raise UploadError(f"The margins were not saved: {error}.") from None
    for old in db.session.scalars(select(PopulationMargin).where(PopulationMargin.wave_id == wave.id)):
        db.session.delete(old)
    db.session.flush()
    for row in rows:
        db.session.add(PopulationMargin(
            wave=wave, variable=row["variable"], category=row["category"],
            proportion=float(row["proportion"]),
            count=float(row["count"]) if row.get("count") else None, source_note=source_note))
    db.session.flush()
    return len(rows)


def all_waves() -> list[Wave]:
    return list(db.session.scalars(select(Wave).order_by(Wave.opens_at.desc())))
