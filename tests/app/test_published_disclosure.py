"""Disclosure control on what is actually published (issue 9, SECURITY P-25 to P-28).

For random waves, each published form of a release (the public page, the tidy CSV, the XLSX and
ODS workbooks) is read back as a reader would read it, and attacked with the true respondents
behind every figure: a hidden cell must not be a sum or difference of shown cells (checked by
least squares on the respondent-level sets, not by the library's own Gram-matrix method), and
no two shown cells, nor "everyone" less a breakdown's shown groups, may differ by 1 to 9 people.
"""

from __future__ import annotations

import csv
import io
import random
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analysis.publish import indicator_outcome
from survey_app.extensions import db
from survey_app.models import StaffUser, Wave
from survey_app.services import releases, results, snapshots, weighting
from tests.support import populate_pupil_wave

FLOOR = 10
# (responses, seed): small waves hide most cells, larger ones show most; the seeds vary the mix.
WAVES = [(random.Random(n).randrange(40, 600), n) for n in (3, 17, 29, 41)]  # noqa: S311
Key = tuple[str, str, str]  # (indicator name, breakdown title in lower case or "", group label)


class _Tables(HTMLParser):
    """The result tables of a page: caption, and per row its header cell and data cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "head": [], "rows": []})
        elif tag in ("caption", "th", "td"):
            self._cell = []
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag not in ("caption", "th", "td") or self._cell is None or not self.tables:
            return
        text, self._cell = "".join(self._cell).strip(), None
        if tag == "caption":
            self.tables[-1]["caption"] = text
        else:
            self.tables[-1]["rows"][-1].append(text)


def _number(text) -> bool:
    try:
        float(str(text).replace(",", ""))
    except ValueError:
        return False
    return str(text).strip().lower() != "nan"


def shown_on_page(html: str, names: set[str]) -> set[Key]:
    parser = _Tables()
    parser.feed(html)
    shown = set()
    for table in parser.tables:
        header, *rows = table["rows"]
        if "Base (rounded)" not in header:
            continue  # the equality view and the methodology's tables
        name, _, by = table["caption"].partition(", by ")
        assert name in names, table["caption"]
        for label, percent, *_ in rows:
            if _number(percent):
                shown.add((name, by, label))
    return shown


def shown_in_csv(data: bytes) -> set[Key]:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return {
        (row["name"], row["breakdown_title"].lower(), row["group_label"] or "All")
        for row in rows
        if _number(row["percent"])
    }


def shown_in_workbook(data: bytes, engine: str) -> set[Key]:
    shown = set()
    for sheet in pd.read_excel(io.BytesIO(data), sheet_name=None, engine=engine, header=None).values():
        cells = sheet.astype(str)
        starts = cells.index[cells[0] == "Indicator"]
        if (
            not len(starts)
            or "Percentage" not in set(cells.loc[starts[0]])
            or "Wave" in set(cells.loc[starts[0]])
        ):
            continue  # the cover, contents, notes, equality and trends sheets
        title = cells.iloc[0, 0].rsplit(": ", 1)[0]
        by = "" if title == "All respondents" else title.lower()
        header = list(cells.loc[starts[0]])
        body = sheet.loc[starts[0] + 1 :]
        for _, row in body.iterrows():
            if _number(row[header.index("Percentage")]):
                shown.add((str(row[0]), by, str(row[header.index("Group")])))
    return shown


def _attack(sets: dict[Key, np.ndarray], shown: set[Key], where: str) -> None:
    """Every way this test knows to work out a group under the floor from the shown figures."""
    for indicator in {key[0] for key in sets}:
        cells = {key: vector for key, vector in sets.items() if key[0] == indicator}
        visible = [key for key in cells if key in shown]
        hidden = [key for key in cells if key not in shown and cells[key].sum() > 0]
        basis = np.column_stack([cells[key] for key in visible]) if visible else np.zeros((1, 0))
        for key in hidden:
            target = cells[key]
            if basis.shape[1]:
                coefficients, *_ = np.linalg.lstsq(basis, target, rcond=None)
                residual = target - basis @ coefficients
            else:
                residual = target
            assert residual @ residual > 1e-6, f"{where}: hidden {key} ({int(target.sum())}) is derivable"
        for a in visible:
            for b in visible:
                difference = cells[a] - cells[b]
                if a != b and difference.min() >= 0:
                    assert not 0 < difference.sum() < FLOOR, f"{where}: {a} less {b} singles out people"
        everyone = cells.get((indicator, "", "All"))
        if everyone is None or (indicator, "", "All") not in shown:
            continue
        for by in {key[1] for key in cells if key[1]}:
            rest = everyone - sum((cells[k] for k in visible if k[1] == by), np.zeros_like(everyone))
            assert not 0 < rest.sum() < FLOOR, f"{where}: everyone less the shown {by} groups"


def _respondent_sets(outcome: results.WaveResults, published: pd.DataFrame) -> dict[Key, np.ndarray]:
    specs = {spec.key: spec for spec in results.indicator_specs(outcome.wave)}
    frame = outcome.frame
    sets = {}
    for row in published.itertuples():
        in_base = indicator_outcome(frame, specs[row.indicator]).notna().to_numpy()
        if row.breakdown:
            in_group = (frame[row.breakdown].astype("string") == row.group).fillna(False).to_numpy()
        else:
            in_group = np.ones(len(frame), dtype=bool)
        label = row.group_label if row.breakdown else "All"
        sets[(row.name, row.breakdown_title.lower() if row.breakdown else "", label)] = (
            in_base & in_group
        ).astype(float)
    return sets


@pytest.mark.parametrize(("responses", "seed"), WAVES)
def test_no_published_form_lets_a_reader_work_out_a_small_group(app, client, world, staff, responses, seed):
    with app.app_context():
        wave = db.session.get(Wave, world.pupil_wave_id)
        populate_pupil_wave(wave, responses, seed=seed)
        snapshots.weigh(wave, None)
        people = {user.email: user for user in db.session.scalars(sa.select(StaffUser))}
        release = releases.create_draft(wave, people["analyst@example.org"])
        releases.publish(release, people["admin@example.org"])
        db.session.commit()
        release_id = release.id
        published = pd.DataFrame(release.tables["indicators"])
        sets = _respondent_sets(results.wave_results(wave, weighting.latest_run(wave)), published)
    names = set(published["name"])
    forms = {
        "page": shown_on_page(client.get(f"/results/{release_id}").get_data(as_text=True), names),
        "csv": shown_in_csv(client.get(f"/results/{release_id}/tables.csv").data),
        "xlsx": shown_in_workbook(client.get(f"/results/{release_id}/tables.xlsx").data, "openpyxl"),
        "ods": shown_in_workbook(client.get(f"/results/{release_id}/tables.ods").data, "odf"),
    }
    assert set(sets) >= forms["csv"], "every shown figure is one of the release's cells"
    assert 0 < len(forms["csv"]) < len(sets), "a wave that hides some cells and shows others"
    for where, shown in forms.items():
        assert shown == forms["csv"], f"{where} shows other figures than the CSV"
        _attack(sets, shown, where)
