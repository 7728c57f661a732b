"""One wave's responses as one pandas DataFrame: the input of weighting, results and exports.

Three queries whatever the size of the wave (responses with their school's borough, answers,
and the questionnaire version), then a pivot in pandas; no query per response.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Select, String, cast, select

from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Audience,
    Borough,
    QuestionKind,
    Response,
    School,
    Wave,
    WaveSchool,
)
from survey_app.models.questionnaire import localised
from survey_app.services.versions import load_version

# Design columns added to every pupil dataset: the cluster, the stratum and the base weight
# (the school's selection weight in this wave).
SCHOOL, BOROUGH, BASE_WEIGHT = "school_id", "borough", "base_weight"
ETHNIC_GROUP = "ethnic_group"
_SCHOOL_BOROUGH = "_school_borough"  # apart from the public survey's own "borough" question


@dataclass
class Dataset:
    """A wave's responses, one row per response (indexed by its UUID as text)."""

    frame: pd.DataFrame
    # question key (or derived column) -> {code: label}, in questionnaire order
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # column -> question wording
    missing_codes: dict[str, set[str]] = field(default_factory=dict)  # "prefer not to say" etc.
    text_columns: list[str] = field(default_factory=list)  # free text: never published
    clustered: bool = False  # pupils: schools within boroughs

    @property
    def design(self) -> dict[str, str | None]:
        """The ``strata`` and ``cluster`` arguments of the analysis library."""
        return (
            {"strata": BOROUGH, "cluster": SCHOOL, "base_weight": BASE_WEIGHT}
            if (self.clustered)
            else {"strata": None, "cluster": None, "base_weight": None}
        )


def frame_of(statement: Select) -> pd.DataFrame:
    """A query's rows as a DataFrame, straight from the driver's cursor: no Row object per
    row, which costs more than the query itself on a large wave."""
    result = db.session.connection().execute(statement)
    return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))


def canonical_keys(keys) -> pd.Index:
    """Response keys as the database's text (hex on SQLite) to canonical UUID text."""
    return pd.Index([str(uuid.UUID(k)) for k in keys], name="uuid")


def load(wave: Wave, include_text: bool = False) -> Dataset:
    """The wave's responses with a categorical column per single-choice question."""
    version = load_version(wave.version_id)
    # Keys travel as the database's own text (cast, so no UUID object per answer row) and
    # become canonical UUID text once per response at the end.
    key = cast(Response.submission_uuid, String).label("key")
    responses = frame_of(
        select(
            key,
            Response.school_id.label(SCHOOL),
            Borough.name.label(_SCHOOL_BOROUGH),
            WaveSchool.selection_weight.label(BASE_WEIGHT),
        )
        .outerjoin(School, School.id == Response.school_id)
        .outerjoin(Borough)
        .outerjoin(
            WaveSchool,
            (WaveSchool.wave_id == Response.wave_id) & (WaveSchool.school_id == Response.school_id),
        )
        .where(Response.wave_id == wave.id, Response.held.is_(False))
    )
    answers = frame_of(
        select(
            key.label("uuid"),
            Answer.question_key.label("key"),
            Answer.option_code.label("code"),
            Answer.text_value.label("text"),
        )
        .join(Response)
        .where(Response.wave_id == wave.id, Response.held.is_(False))
    )
    responses = responses.rename(columns={"key": "uuid"})
    answers["value"] = answers["code"].fillna(answers["text"])
    wide = answers.pivot(index="uuid", columns="key", values="value")
    frame = responses.set_index("uuid").join(wide)
    frame.index = canonical_keys(frame.index)
    dataset = Dataset(frame=frame, clustered=wave.audience is Audience.PUPIL)
    for question in version.questions:
        dataset.titles[question.key] = localised(question.wording, "en")
        if question.kind is QuestionKind.TEXT:
            dataset.text_columns.append(question.key)
            if not include_text and question.key in frame:
                del frame[question.key]
            continue
        codes = [o.code for o in question.options]
        dataset.labels[question.key] = {o.code: localised(o.label, "en") for o in question.options}
        dataset.missing_codes[question.key] = {o.code for o in question.options if o.is_missing}
        column = frame[question.key] if question.key in frame else pd.Series(None, index=frame.index)
        frame[question.key] = pd.Categorical(column, categories=codes)
        groups = {o.code: o.group for o in question.options if o.group}
        if question.key == "ethnicity" and groups:
            order = list(dict.fromkeys(groups.values()))
            frame[ETHNIC_GROUP] = pd.Categorical(frame["ethnicity"].map(groups), categories=order)
            dataset.labels[ETHNIC_GROUP] = {g: g for g in order}
            dataset.titles[ETHNIC_GROUP] = "Ethnic group"
    school_borough = frame.pop(_SCHOOL_BOROUGH)
    if dataset.clustered:
        frame[BOROUGH] = school_borough.astype("string")
        frame[BASE_WEIGHT] = frame[BASE_WEIGHT].astype(float).fillna(1.0)
        dataset.titles[BOROUGH] = "Borough"
    else:
        del frame[SCHOOL], frame[BASE_WEIGHT]
    return dataset
