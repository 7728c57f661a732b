"""One wave's responses as one pandas DataFrame: the input of weighting, results and exports.

One query whatever the size of the wave (the questionnaire version comes from the
per-process cache): the database pivots the answers to one row per response, read in chunks,
and each chunk's answers become small integer codes at once, so a million responses stay
well inside memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Select, String, case, cast, func, select

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
from survey_app.services import bulk
from survey_app.services.versions import QuestionData, load_version

# Design columns added to every pupil dataset: the cluster, the stratum and the base weight
# (the school's selection weight in this wave).
SCHOOL, BOROUGH, BASE_WEIGHT = "school_id", "borough", "base_weight"
ETHNIC_GROUP = "ethnic_group"
_SCHOOL_BOROUGH = "_school_borough"  # apart from the public survey's own "borough" question
_SUBMITTED_ON = "_submitted_on"


@dataclass
class Dataset:
    """A wave's responses, one row per response, indexed by its UUID's 32 hex digits (as
    SQLite stores it; PostgreSQL's hyphens removed by the query): matched to a weight run's
    keys, never shown."""

    frame: pd.DataFrame
    # question key (or derived column) -> {code: label}, in questionnaire order
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # column -> question wording
    missing_codes: dict[str, set[str]] = field(default_factory=dict)  # "prefer not to say" etc.
    text_columns: list[str] = field(default_factory=list)  # free text: never published
    clustered: bool = False  # pupils: schools within boroughs
    # The newest submission day among the rows and how many were sent that day (see WeightRun).
    last_day: date | None = None
    on_last_day: int = 0

    @property
    def design(self) -> dict[str, str | None]:
        """The ``strata`` and ``cluster`` arguments of the analysis library."""
        return (
            {"strata": BOROUGH, "cluster": SCHOOL, "base_weight": BASE_WEIGHT}
            if (self.clustered)
            else {"strata": None, "cluster": None, "base_weight": None}
        )


def counted_responses(wave: Wave, since: date | None = None) -> int:
    """How many responses a load of the wave would read now (held ones are not counted),
    or only those sent on or after ``since``."""
    query = select(func.count()).where(Response.wave_id == wave.id, Response.held.is_(False))
    if since is not None:
        query = query.where(Response.submitted_on >= since)
    return db.session.scalar(query)


def _rows(wave: Wave, questions: list[QuestionData]) -> Select:
    """One row per response: its key, design columns and its answer to each question (as
    ``q0``, ``q1``, ... so that no question key can clash with a design column).

    The answers are pivoted by the database, so a wave with ten million answers reaches
    Python as one row per response. Keys travel as hex text, the form weights are read back in
    (see weighting.weights_of), so no UUID object is made per row.
    """
    in_wave = (Response.wave_id == wave.id) & Response.held.is_(False)
    value = func.coalesce(Answer.option_code, Answer.text_value)
    answers = (
        select(
            Answer.response_uuid,
            *(
                func.max(case((Answer.question_key == q.key, value))).label(f"q{i}")
                for i, q in enumerate(questions)
            ),
        )
        .join(Response)
        .where(in_wave, Answer.question_key.in_([q.key for q in questions]))
        .group_by(Answer.response_uuid)
        .subquery()
    )
    return (
        select(
            func.replace(cast(Response.submission_uuid, String), "-", "").label("key"),
            Response.school_id.label(SCHOOL),
            Borough.name.label(_SCHOOL_BOROUGH),
            Response.submitted_on.label(_SUBMITTED_ON),
            WaveSchool.selection_weight.label(BASE_WEIGHT),
            *(answers.c[f"q{i}"] for i in range(len(questions))),
        )
        .outerjoin(answers, answers.c.response_uuid == Response.submission_uuid)
        .outerjoin(School, School.id == Response.school_id)
        .outerjoin(Borough)
        .outerjoin(
            WaveSchool,
            (WaveSchool.wave_id == Response.wave_id) & (WaveSchool.school_id == Response.school_id),
        )
        .where(in_wave)
    )


def _coded(chunk: pd.DataFrame, questions: list[QuestionData]) -> pd.DataFrame:
    """A chunk of rows with each single-choice answer as its option's position (-1 when
    missing or unknown): small integers instead of text, whatever the size of the wave."""
    for i, question in enumerate(questions):
        column = chunk.pop(f"q{i}")
        if question.kind is QuestionKind.TEXT:
            chunk[question.key] = column.astype(object).where(column.notna(), None)
        else:
            options = pd.Index([o.code for o in question.options])
            chunk[question.key] = options.get_indexer(column).astype(np.int16)
    return chunk


def load(wave: Wave, include_text: bool = False) -> Dataset:
    """The wave's responses with a categorical column per single-choice question."""
    version = load_version(wave.version_id)
    questions = [q for q in version.questions if include_text or q.kind is not QuestionKind.TEXT]
    statement = _rows(wave, questions)
    empty = pd.DataFrame(columns=list(statement.selected_columns.keys()))
    chunks = [_coded(chunk, questions) for chunk in bulk.chunks_of(statement)] or [_coded(empty, questions)]
    frame = pd.concat(chunks, ignore_index=True).set_index("key")
    days = frame.pop(_SUBMITTED_ON).astype(str)  # ISO dates: text orders as time does
    for question in questions:
        if question.kind is not QuestionKind.TEXT:
            frame[question.key] = pd.Categorical.from_codes(
                frame[question.key].to_numpy(), categories=[o.code for o in question.options]
            )
    dataset = Dataset(frame=frame, clustered=wave.audience is Audience.PUPIL)
    if len(days):
        last = days.max()
        dataset.last_day, dataset.on_last_day = date.fromisoformat(last), int((days == last).sum())
    for question in version.questions:
        dataset.titles[question.key] = localised(question.wording, "en")
        if question.kind is QuestionKind.TEXT:
            dataset.text_columns.append(question.key)
            continue
        dataset.labels[question.key] = {o.code: localised(o.label, "en") for o in question.options}
        dataset.missing_codes[question.key] = {o.code for o in question.options if o.is_missing}
        groups = {o.code: o.group for o in question.options if o.group}
        if question.key == "ethnicity" and groups:
            order = list(dict.fromkeys(groups.values()))
            frame[ETHNIC_GROUP] = pd.Categorical(frame["ethnicity"].map(groups), categories=order)
            dataset.labels[ETHNIC_GROUP] = {g: g for g in order}
            dataset.titles[ETHNIC_GROUP] = "Ethnic group"
    school_borough = frame.pop(_SCHOOL_BOROUGH)
    if dataset.clustered:
        frame[BOROUGH] = school_borough.astype(pd.CategoricalDtype(sorted(school_borough.dropna().unique())))
        frame[BASE_WEIGHT] = frame[BASE_WEIGHT].astype(float).fillna(1.0)
        dataset.titles[BOROUGH] = "Borough"
    else:
        del frame[SCHOOL], frame[BASE_WEIGHT]
    return dataset
