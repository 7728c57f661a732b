"""File formats for downloads, in one place; every text cell neutralised against formulas."""

from __future__ import annotations

import csv
import io

from survey_app.models import Release
from survey_app.services.uploads import neutralise

RELEASE_CSV_COLUMNS = ["indicator", "name", "breakdown", "breakdown_title", "group",
                       "group_label", "percent", "ci_low", "ci_high", "n_rounded", "symbol"]


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
