"""A wave's weighted results for the analyst: every indicator overall and by every breakdown,
with disclosure control across all of them, the equality view and the trend across waves, at
full precision (DESIGN §7, §8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

from analysis import IndicatorSpec, SurveyDesign, equality_table, indicator_tables
from survey_app.extensions import db
from survey_app.models import (
    Audience,
    Indicator,
    Questionnaire,
    QuestionnaireVersion,
    Wave,
    WeightRun,
)
from survey_app.services import datasets, weighting

# (column, title); an "a_x_b" column is the intersection of columns a and b.
BREAKDOWNS = {
    Audience.PUPIL: [
        ("ethnic_group", "Ethnic group"),
        ("ethnicity", "Ethnicity (detailed)"),
        ("send", "Special educational needs or disability"),
        ("gender", "Gender"),
        ("year_group", "Year group"),
        ("borough", "Borough"),
        ("ethnic_group_x_gender", "Ethnic group and gender"),
        ("ethnic_group_x_send", "Ethnic group and SEND"),
    ],
    Audience.PUBLIC: [
        ("ethnic_group", "Ethnic group"),
        ("sex", "Sex"),
        ("age_band", "Age"),
        ("borough", "Borough"),
        ("parent_of_pupil", "Parent of a school pupil"),
    ],
}
AREA = "borough"  # the breakdown that is an area (its own disclosure rule, the funnel plot)
AREA_BREAKDOWNS = frozenset({AREA})
INTERSECTION = "_x_"


@dataclass
class WaveResults:
    wave: Wave
    weight_run: WeightRun
    table: pd.DataFrame  # analysis.publish.ANALYST_COLUMNS
    equality: pd.DataFrame  # analysis.equality.COLUMNS
    titles: dict[str, str]  # breakdown column -> title
    labels: dict[str, dict[str, str]]  # breakdown column -> {group code: label}
    # The weighted respondents with their breakdown columns, when just computed (a stored
    # snapshot keeps tables, not respondents).
    frame: pd.DataFrame | None = None

    def label(self, breakdown: str, group: str) -> str:
        return self.labels.get(breakdown, {}).get(group, group) if breakdown else "All"

    def labelled(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with the people-readable ``breakdown_title`` and ``group_label``."""
        return table.assign(
            breakdown_title=table["breakdown"].map(self.titles).fillna(""),
            group_label=[self.label(b, g) for b, g in zip(table["breakdown"], table["group"], strict=True)],
        )


def indicator_specs(wave: Wave) -> list[IndicatorSpec]:
    key = wave.version.questionnaire.key
    return [
        IndicatorSpec(**{name: getattr(i, name) for name in IndicatorSpec.field_names()})
        for i in db.session.scalars(
            select(Indicator).where(Indicator.questionnaire_key == key).order_by(Indicator.id)
        )
    ]


def intersection(left: pd.Series, right: pd.Series) -> pd.Categorical:
    """Every pair of two categoricals' groups as one categorical ("a|b"), made from their
    codes: missing where either is."""
    a, b = left.cat.codes.to_numpy(np.int64), right.cat.codes.to_numpy(np.int64)
    width = len(right.cat.categories)
    return pd.Categorical.from_codes(
        np.where((a >= 0) & (b >= 0), a * width + b, -1),
        categories=[f"{x}|{y}" for x in left.cat.categories for y in right.cat.categories],
    )


def breakdown_frame(
    dataset: datasets.Dataset, frame: pd.DataFrame, audience: Audience
) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[str, str]]]:
    """Adds the breakdown columns: answers with "prefer not to say" left out of every group,
    and the intersections, labelled for people."""
    frame = frame.copy()
    titles, labels = {}, {}
    for column, title in BREAKDOWNS[audience]:
        if INTERSECTION in column:
            left, right = column.split(INTERSECTION)
            if left not in frame or right not in frame:
                continue
            frame[column] = intersection(frame[left], frame[right])
            labels[column] = {
                f"{a}|{b}": f"{labels[left][a]}, {labels[right][b]}"
                for a in labels[left]
                for b in labels[right]
            }
        elif column not in frame:
            continue
        elif column in dataset.labels:
            missing = dataset.missing_codes.get(column, set())
            frame[column] = frame[column].cat.remove_categories(
                [c for c in frame[column].cat.categories if c in missing]
            )
            labels[column] = {c: label for c, label in dataset.labels[column].items() if c not in missing}
        else:  # the school's borough
            labels[column] = {b: b for b in sorted(frame[column].dropna().unique())}
            frame[column] = pd.Categorical(frame[column], categories=list(labels[column]))
        titles[column] = title
    return frame, titles, labels


def wave_results(wave: Wave, weight_run: WeightRun, dataset: datasets.Dataset | None = None) -> WaveResults:
    """Every built-in indicator of the wave, overall and by every breakdown, for the responses
    ``weight_run`` weighed (``dataset``: the wave already loaded, if it is)."""
    dataset = dataset or datasets.load(wave)
    frame, margins = weighting.weighted(dataset, weight_run)
    frame, titles, labels = breakdown_frame(dataset, frame, wave.audience)
    specs = indicator_specs(wave)
    design = SurveyDesign.from_frame(frame, "weight", margins=margins, **dataset.design)  # built once
    table = indicator_tables(design, specs, list(titles), area_breakdowns=AREA_BREAKDOWNS)
    equality = equality_table(design, specs, [b for b in titles if b not in AREA_BREAKDOWNS], table)
    return WaveResults(wave, weight_run, table, equality, titles, labels, frame)


def comparable_waves(wave: Wave) -> list[Wave]:
    """Waves of the same questionnaire (stable question keys) up to this one, oldest first."""
    return list(
        db.session.scalars(
            select(Wave)
            .join(QuestionnaireVersion, Wave.version_id == QuestionnaireVersion.id)
            .join(Questionnaire)
            .where(Questionnaire.key == wave.version.questionnaire.key, Wave.opens_at <= wave.opens_at)
            .order_by(Wave.opens_at, Wave.id)
        )
    )
