"""A wave's microdata for analysts: one row per response, with its weight and design columns,
as CSV, Excel, SPSS or Stata (DESIGN §8). Free text only when asked for; every text cell
neutralised against spreadsheet formulas; rows numbered, never keyed by the response's id.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pyreadstat

from survey_app.exceptions import SurveyError
from survey_app.models import Wave
from survey_app.services import datasets, weighting
from survey_app.services.uploads import neutralise

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}
CHUNK_ROWS = 10_000


@dataclass
class Microdata:
    frame: pd.DataFrame  # row, design columns, weight, then one column per question
    labels: dict[str, dict[str, str]]  # column -> {code: label}
    titles: dict[str, str]  # column -> question wording
    weight_run_id: int
    # Responses that arrived after the weighting: not in the file until the wave is weighed again.
    unweighted: int = 0

    def filename(self, wave: Wave, format: str) -> str:
        return f"{wave.slug}-weights-{self.weight_run_id}.{format}"


def load(wave: Wave, include_text: bool = False) -> Microdata:
    """The responses the wave's latest converged run weighed, with its weights (later ones
    have no weight yet: they are left out and counted)."""
    run = weighting.latest_run(wave, converged=True)
    if run is None:
        raise SurveyError("This wave has no converged weighting yet: weigh it first.")
    dataset = datasets.load(wave, include_text=include_text)
    frame, _ = weighting.weighted(dataset, run)
    design = [c for c in (datasets.SCHOOL, datasets.BOROUGH, datasets.BASE_WEIGHT) if c in frame]
    answers = [c for c in dataset.frame.columns if c not in design]
    frame = frame[[*design, "weight", *answers]].reset_index(drop=True)
    frame.insert(0, "row", range(1, len(frame) + 1))
    titles = {
        **dataset.titles,
        "row": "Row number (not a response identifier)",
        "weight": "Final weight",
        datasets.SCHOOL: "School (cluster)",
        datasets.BOROUGH: "Borough (stratum)",
        datasets.BASE_WEIGHT: "Base weight (1 / the school's chance of selection)",
    }
    return Microdata(frame, dataset.labels, titles, run.id, unweighted=len(dataset.frame) - len(frame))


def csv_chunks(data: Microdata) -> Iterator[str]:
    """The CSV in pieces, so a large wave streams instead of being built in memory."""
    for start in range(0, max(len(data.frame), 1), CHUNK_ROWS):
        yield _neutralised(data.frame.iloc[start : start + CHUNK_ROWS]).to_csv(index=False, header=start == 0)


def write(data: Microdata, format: str, path: str) -> None:
    """Writes an XLSX, SAV or DTA file; SPSS and Stata get variable and value labels."""
    if format == "xlsx":
        _neutralised(data.frame).to_excel(path, index=False, sheet_name="Responses")
        return
    coded, value_labels = _numbered(data)
    variable_labels = {c: data.titles.get(c, c)[:80] for c in coded.columns}
    if format == "sav":
        pyreadstat.write_sav(coded, path, column_labels=variable_labels, variable_value_labels=value_labels)
    elif format == "dta":
        pyreadstat.write_dta(coded, path, column_labels=variable_labels, variable_value_labels=value_labels)
    else:
        raise SurveyError(f"Unknown format '{format}': choose one of {', '.join(FORMATS)}.")


def to_file(data: Microdata, format: str) -> str:
    """A temporary file holding the export (the caller removes it)."""
    handle, path = tempfile.mkstemp(suffix=f".{format}")
    os.close(handle)
    try:
        write(data, format, path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell made safe to open in a spreadsheet (numbers left as they are)."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    return frame.assign(**{c: frame[c].astype("string").map(neutralise, na_action="ignore") for c in text})


def _numbered(data: Microdata) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """Coded answers as 1..k with value labels (Stata labels numbers only); other text as
    plain strings, empty when missing."""
    frame, value_labels = data.frame.copy(), {}
    for column, labels in data.labels.items():
        if column in frame:
            number = {code: i for i, code in enumerate(labels, start=1)}
            frame[column] = frame[column].astype("string").map(number).astype("float64")
            value_labels[column] = {number[code]: label[:120] for code, label in labels.items()}
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = _neutralised(frame[[column]])[column].fillna("").astype(object)
    return frame, value_labels
