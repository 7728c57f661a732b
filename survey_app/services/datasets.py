"""One wave's responses as one pandas DataFrame: the input of weighting, results and exports.

A wave is one range scan of its responses, whatever its size or the planner's statistics:
each response row carries its choices as small integer codes (see answer_codes), read in
chunks straight into arrays, so a million responses stay well inside memory. Free text, the
schools' boroughs and weights and the newest day are small queries of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Select, String, cast, func, select

from survey_app.extensions import db
from survey_app.models import (
    Audience,
    Borough,
    QuestionKind,
    Response,
    School,
    TextAnswer,
    Wave,
    WaveSchool,
)
from survey_app.models.questionnaire import localised
from survey_app.services import answer_codes, bulk
from survey_app.services.versions import QuestionData, load_version

# Design columns added to every pupil dataset: the cluster, the stratum and the base weight
# (the school's selection weight in this wave).
SCHOOL, BOROUGH, BASE_WEIGHT = "school_id", "borough", "base_weight"
ETHNIC_GROUP = "ethnic_group"
_SCHOOL_BOROUGH = "_school_borough"  # apart from the public survey's own "borough" question


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


def _responses(wave: Wave) -> Select:
    """The wave's counted responses: key, school and choices, one range scan of the wave's
    rows, with no join for a stale planner estimate to turn into a loop (issue 23). Keys travel
    as hex text, the form weights are read back in (see weighting.weights_of)."""
    return select(
        func.replace(cast(Response.submission_uuid, String), "-", ""),
        Response.school_id,
        Response.answer_codes,
    ).where(Response.wave_id == wave.id, Response.held.is_(False))


def _last_day(wave: Wave) -> tuple[date | None, int]:
    """The newest submission day among the counted responses and how many were sent on it."""
    row = db.session.execute(
        select(Response.submitted_on, func.count())
        .where(Response.wave_id == wave.id, Response.held.is_(False))
        .group_by(Response.submitted_on)
        .order_by(Response.submitted_on.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, 0)


def _text_answers(wave: Wave, questions: list[QuestionData], keys: pd.Index) -> pd.DataFrame:
    """Free text of the wave's counted responses: a column per text question, a row per key."""
    rows = db.session.execute(
        select(
            func.replace(cast(TextAnswer.response_uuid, String), "-", ""),
            TextAnswer.question_key,
            TextAnswer.text_value,
        )
        .join(Response)
        .where(Response.wave_id == wave.id, Response.held.is_(False))
        .where(TextAnswer.question_key.in_([q.key for q in questions]))
    ).all()
    wide = pd.DataFrame(rows, columns=["key", "question", "text"]).pivot(
        index="key", columns="question", values="text"
    )
    wide = wide.reindex(index=keys, columns=[q.key for q in questions])
    return wide.astype(object).where(wide.notna(), None)


def _read(wave: Wave, choices: list[QuestionData]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Keys, school ids (-1 for none) and option indexes of the wave's counted responses."""
    keys: list[str] = []
    schools, codes = [], []
    with bulk.cycles_unchecked():
        for chunk in bulk.row_chunks(_responses(wave)):
            chunk_keys, chunk_schools, chunk_codes = zip(*chunk, strict=True)
            keys.extend(chunk_keys)
            schools.append(np.array([-1 if s is None else s for s in chunk_schools], dtype=np.int64))
            codes.append(answer_codes.matrix(chunk_codes, len(chunk), len(choices)))
    if not keys:
        return keys, np.empty(0, np.int64), np.empty((0, len(choices)), np.int16)
    return keys, np.concatenate(schools), np.concatenate(codes)


def _schools(wave: Wave) -> pd.DataFrame:
    """Every school's borough and its selection weight in this wave (none when not invited)."""
    rows = db.session.execute(
        select(School.id, Borough.name, WaveSchool.selection_weight)
        .outerjoin(Borough)
        .outerjoin(WaveSchool, (WaveSchool.school_id == School.id) & (WaveSchool.wave_id == wave.id))
    ).all()
    return pd.DataFrame(rows, columns=["id", _SCHOOL_BOROUGH, BASE_WEIGHT]).set_index("id")


def load(wave: Wave, include_text: bool = False) -> Dataset:
    """The wave's responses with a categorical column per single-choice question."""
    version = load_version(wave.version_id)
    choices = answer_codes.choice_questions(version)
    # The newest day before the rows: a response sent in between is then read and also counted
    # as "arrived since" (a needless prompt to weigh again), never left out unannounced.
    last_day, on_last_day = _last_day(wave)
    keys, schools, codes = _read(wave, choices)
    frame = pd.DataFrame({SCHOOL: pd.array(schools, dtype="Int64")}, index=pd.Index(keys, name="key"))
    frame[SCHOOL] = frame[SCHOOL].mask(frame[SCHOOL] < 0)
    of_school = _schools(wave)
    frame[_SCHOOL_BOROUGH] = frame[SCHOOL].map(of_school[_SCHOOL_BOROUGH])
    frame[BASE_WEIGHT] = frame[SCHOOL].map(of_school[BASE_WEIGHT]).astype(float)
    texts = [q for q in version.questions if q.kind is QuestionKind.TEXT] if include_text else []
    text = _text_answers(wave, texts, frame.index) if texts else None
    choice_index = {q.key: j for j, q in enumerate(choices)}
    for question in version.questions:
        if question.key in choice_index:
            frame[question.key] = pd.Categorical.from_codes(
                codes[:, choice_index[question.key]], categories=[o.code for o in question.options]
            )
        elif text is not None and question.key in text:
            frame[question.key] = text[question.key]
    dataset = Dataset(frame=frame, clustered=wave.audience is Audience.PUPIL)
    dataset.last_day, dataset.on_last_day = last_day, on_last_day
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
