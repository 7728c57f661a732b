"""Importing schools from CSV: all rows valid or nothing imported; re-import updates by URN."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Borough, School
from survey_app.services.uploads import UploadError, formula_like, read_csv

PHASES = {"secondary", "all-through", "middle deemed secondary", "16 plus", "special", "pru"}


@dataclass
class ImportSummary:
    added: int
    updated: int


def import_schools(data: bytes) -> ImportSummary:
    """Validates every row (URN, name, borough, phase); raises listing each faulty row."""
    rows = read_csv(data, {"urn", "name", "borough"}, {"phase"})
    boroughs = {key.lower(): b for b in db.session.scalars(select(Borough)) for key in (b.name, b.code)}
    problems, seen = [], {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        problems += [f"Row {number}: {p}" for p in _row_problems(row, boroughs)]
        if row["urn"] in seen:
            problems.append(f"Row {number}: URN {row['urn']} is also on row {seen[row['urn']]}.")
        seen.setdefault(row["urn"], number)
    if problems:
        raise UploadError("Nothing was imported: fix these rows and upload the file again.", problems)
    existing = {s.urn: s for s in db.session.scalars(select(School).where(School.urn.in_(list(seen))))}
    for row in rows:
        school = existing.get(row["urn"]) or School(urn=row["urn"])
        school.name, school.borough = row["name"], boroughs[row["borough"].lower()]
        school.phase = row.get("phase") or "Secondary"
        db.session.add(school)
    db.session.flush()
    return ImportSummary(added=len(rows) - len(existing), updated=len(existing))


def _row_problems(row: dict[str, str], boroughs: dict[str, Borough]) -> list[str]:
    problems = []
    if not (row["urn"].isdigit() and 6 <= len(row["urn"]) <= 7):
        problems.append(f"URN '{row['urn']}' should be 6 or 7 digits.")
    if not row["name"] or len(row["name"]) > 200:
        problems.append("the school name is missing or longer than 200 characters.")
    if row["borough"].lower() not in boroughs:
        problems.append(f"'{row['borough']}' is not a London borough name or ONS code.")
    phase = row.get("phase", "")
    if phase and phase.lower() not in PHASES:
        problems.append(f"phase '{phase}' is not one of: {', '.join(sorted(PHASES))}.")
    if any(formula_like(value) for value in row.values()):
        problems.append("a cell starts like a spreadsheet formula (=, +, -, @).")
    return problems


def all_schools() -> list[School]:
    return list(db.session.scalars(select(School).order_by(School.name)))
