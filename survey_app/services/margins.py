"""Population margins: what a wave's weighting aims at, checked row by row on upload."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from analysis import AnalysisInputError, check_margins
from survey_app.extensions import db
from survey_app.models import PopulationMargin, Wave
from survey_app.services.uploads import UploadError, read_csv


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
            problems.append(
                f"Row {number}: '{variable}' is not a question of this wave's "
                f"questionnaire (use one of: {', '.join(sorted(allowed))})."
            )
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
                problems.append(
                    f"Row {number}: {column} must be above 0"
                    + (" and at most 1." if column == "proportion" else ".")
                )
    if problems:
        raise UploadError("The margins were not saved: fix these rows and upload again.", problems)
    table = pd.DataFrame(rows)
    if "count" in table:
        table["count"] = pd.to_numeric(table["count"].replace("", None))
    try:
        check_margins(table)
    except AnalysisInputError as error:
        raise UploadError(f"The margins were not saved: {error}.") from None
    for old in db.session.scalars(select(PopulationMargin).where(PopulationMargin.wave_id == wave.id)):
        db.session.delete(old)
    db.session.flush()
    for row in rows:
        db.session.add(
            PopulationMargin(
                wave=wave,
                variable=row["variable"],
                category=row["category"],
                proportion=float(row["proportion"]),
                count=float(row["count"]) if row.get("count") else None,
                source_note=source_note,
            )
        )
    db.session.flush()
    return len(rows)


def of_wave(wave: Wave) -> list[PopulationMargin]:
    return list(
        db.session.scalars(
            select(PopulationMargin).where(PopulationMargin.wave_id == wave.id).order_by(PopulationMargin.id)
        )
    )
