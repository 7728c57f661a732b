"""A release's tables as spreadsheets laid out as the Government Statistical Service asks
(cover sheet, contents, notes, one table per sheet, symbols in the cells they replace):
XLSX through ONS's ``gptables``, and the same sheets as ODS for people without Excel.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass

import gptables
import pandas as pd
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import Release, ReleaseFile
from survey_app.services import exports
from survey_app.services.uploads import neutralise

NOTES = pd.DataFrame(
    {
        "Note number": ["note1", "note2", "note3"],
        "Note text": [
            "Percentages are weighted; their 95% confidence intervals allow for the survey design "
            "and the weighting. Counts of respondents are unweighted and rounded to the nearest 5.",
            "[c] hidden to protect confidentiality (too few respondents, or it could be worked out "
            "from other figures); [u] low reliability: treat with caution; [x] not available.",
            "Each group is compared with everyone else in the figure's base. Flagged: the 95% "
            "confidence interval of the difference excludes zero. Holm p-values allow for the "
            "number of groups compared in the breakdown.",
        ],
    }
)
FIGURE_COLUMNS = {
    "percent": "Percentage",
    "ci_low": "Lower 95% confidence limit",
    "ci_high": "Upper 95% confidence limit",
    "n_rounded": "Respondents (rounded)",
}


@dataclass
class Sheet:
    name: str
    title: str
    table: pd.DataFrame
    notes: tuple[str, ...]  # keys of NOTES

    def notes_text(self) -> str:
        return "Notes: " + " ".join(_shown(note) for note in self.notes)


def _shown(note: str) -> str:
    return f"[note {note.removeprefix('note')}]"


def _symbolised(rows: pd.DataFrame) -> pd.DataFrame:
    """Each hidden figure replaced by its symbol; text cells neutralised."""
    out = pd.DataFrame(
        {"Indicator": rows["name"].map(neutralise), "Group": rows["group_label"].map(neutralise)}
    )
    for column, title in FIGURE_COLUMNS.items():
        out[title] = [
            row[column] if pd.notna(row[column]) else (row["symbol"] or "[x]") for _, row in rows.iterrows()
        ]
    out["Reliability"] = [
        "low [u]" if symbol == "[u]" else "hidden" if symbol == "[c]" else "normal"
        for symbol in rows["symbol"]
    ]
    return out.reset_index(drop=True)


def _or(figures: pd.Series, symbols: pd.Series | str) -> pd.Series:
    """Each missing figure replaced by its symbol (a column of them, or one for all)."""
    return figures.astype(object).where(figures.notna(), symbols)


def sheets(release: Release) -> list[Sheet]:
    """Headline table, one table per breakdown, the equality view and the trends."""
    table = pd.DataFrame(release.tables["indicators"])
    out = []
    for breakdown, rows in table.groupby("breakdown", sort=False):
        title = rows["breakdown_title"].iloc[0] if breakdown else "All respondents"
        out.append(
            Sheet(f"Table_{len(out) + 1}", f"{title}: {release.title}", _symbolised(rows), ("note1", "note2"))
        )
    equality = pd.DataFrame(release.tables.get("equality", []))
    if not equality.empty:
        out.append(
            Sheet(
                f"Table_{len(out) + 1}",
                f"Equality view: {release.title}",
                pd.DataFrame(
                    {
                        "Indicator": equality["name"].map(neutralise),
                        "Breakdown": equality["breakdown_title"].map(neutralise),
                        "Group": equality["group_label"].map(neutralise),
                        "Difference from everyone else (percentage points)": equality["difference"],
                        "Lower 95% confidence limit": _or(equality["ci_low"], "[x]"),
                        "Upper 95% confidence limit": _or(equality["ci_high"], "[x]"),
                        "p-value": _or(equality["p_value"], "[x]"),
                        "Holm-adjusted p-value": _or(equality["p_holm"], "[x]"),
                        "Flagged": equality["flagged"].map({True: "Yes", False: "No"}),
                    }
                ),
                ("note3",),
            )
        )
    trends = pd.DataFrame(release.tables.get("trends", []))
    if not trends.empty:
        out.append(
            Sheet(
                f"Table_{len(out) + 1}",
                f"Trends across waves: {release.title}",
                pd.DataFrame(
                    {
                        "Indicator": trends["name"].map(neutralise),
                        "Wave": trends["wave_name"].map(neutralise),
                        "Fieldwork": trends["fieldwork"],
                        "Percentage": _or(trends["percent"], trends["symbol"].replace("", "[x]")),
                        "Change since previous wave (percentage points)": _or(trends["change"], "[x]"),
                        "p-value of change": _or(trends["change_p"], "[x]"),
                    }
                ),
                ("note1", "note2"),
            )
        )
    return out


def cover_lines(release: Release) -> list[str]:
    published = release.published_at.strftime("%d %B %Y") if release.published_at else "draft"
    return [
        release.title,
        f"Published: {published}",
        *release.methodology.split("\n\n"),
        f"SHA-256 of the published tables: {release.checksum}",
    ]


def xlsx(release: Release) -> bytes:
    lines = cover_lines(release)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="gptables")  # its own pandas deprecations
            tables = {
                s.name: gptables.GPTable(
                    table=s.table,
                    table_name=s.name.lower(),
                    title=s.title + "".join(f" $${note}$$" for note in s.notes),
                    instructions="This worksheet contains one table. Symbols replace hidden "
                    "figures: see the notes.",
                    source="Safer Schools Surveys",
                    scope="London",
                )
                for s in sheets(release)
            }
            gptables.write_workbook(
                path,
                sheets=tables,
                notes_table=NOTES,
                cover=gptables.Cover(title=lines[0], intro=lines[1:2], about=lines[2:]),
                contentsheet_options={"title": "Contents"},
            )
        with open(path, "rb") as written:
            return written.read()
    finally:
        os.unlink(path)


def ods(release: Release) -> bytes:
    """The same sheets in OpenDocument: cover, contents, notes, then one table per sheet
    with its title in the first cell."""
    items = sheets(release)
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="odf") as writer:
        pd.DataFrame({"Cover": cover_lines(release)}).to_excel(writer, sheet_name="Cover", index=False)
        pd.DataFrame({"Sheet": [s.name for s in items], "Table title": [s.title for s in items]}).to_excel(
            writer, sheet_name="Contents", index=False
        )
        NOTES.assign(**{"Note number": NOTES["Note number"].map(_shown)}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        for sheet in items:
            pd.DataFrame({sheet.title: [sheet.notes_text()]}).to_excel(
                writer, sheet_name=sheet.name, index=False
            )
            sheet.table.to_excel(writer, sheet_name=sheet.name, index=False, startrow=3)
    return out.getvalue()


MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def render(release: Release, format: str) -> bytes:
    if format == "csv":
        return exports.release_csv(release).encode()
    return {"xlsx": xlsx, "ods": ods}[format](release)


def store(release: Release) -> None:
    """Renders every download of a release being published, once: downloads serve these bytes."""
    for format in MIMETYPES:
        content = render(release, format)
        db.session.add(
            ReleaseFile(
                release_id=release.id,
                format=format,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
            )
        )
    db.session.flush()


def stored(release: Release, format: str) -> ReleaseFile:
    """A published release's stored file; one published before files were stored gets its files
    rendered and stored now, once (a concurrent first download keeps the other's copy)."""
    found = db.session.get(ReleaseFile, (release.id, format))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            store(release)
    except IntegrityError:
        pass
    return db.session.get(ReleaseFile, (release.id, format))
