"""File formats for downloads, in one place; every text cell neutralised against formulas."""

from __future__ import annotations

import csv
import io

from survey_app.models import Release, Wave
from survey_app.services import access_codes
from survey_app.services.uploads import neutralise

CODE_COLUMNS = ["code", "kind", "school_urn", "school", "class", "uses", "revoked", "link"]

RELEASE_CSV_COLUMNS = [
    "indicator",
    "name",
    "breakdown",
    "breakdown_title",
    "group",
    "group_label",
    "percent",
    "ci_low",
    "ci_high",
    "n_rounded",
    "symbol",
]


def release_csv(release: Release) -> str:
    """The release's published table, tidy: one row per indicator, breakdown and group."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RELEASE_CSV_COLUMNS)
    for row in release.tables["indicators"]:
        writer.writerow([_cell(row.get(column)) for column in RELEASE_CSV_COLUMNS])
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    return value if isinstance(value, int | float) else neutralise(value)


def codes_csv(wave: Wave, start_link: str) -> str:
    """Every code of the wave, for the admin who hands them out."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CODE_COLUMNS)
    for code in access_codes.of_wave(wave):
        school = code.school
        writer.writerow(
            [
                _cell(value)
                for value in (
                    access_codes.display(code.code),
                    code.kind.value,
                    school.urn if school else "",
                    school.name if school else "",
                    code.class_label or "",
                    code.uses,
                    "yes" if code.revoked_at else "",
                    start_link,
                )
            ]
        )
    return out.getvalue()
