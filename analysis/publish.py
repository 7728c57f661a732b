"""From indicator definitions to one tidy, disclosure-controlled table per release (DESIGN §5, §8)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from analysis import disclosure
from analysis.columns import codes_of, rows_matching
from analysis.design import SurveyDesign
from analysis.errors import AnalysisInputError
from analysis.estimates import design_estimate

INDICATOR = "_indicator"
# The analyst's view: every figure at full precision, hidden cells blank.
ANALYST_COLUMNS = [
    "indicator",
    "name",
    "breakdown",
    "group",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "n",
    "n_eff",
    "deff",
    "df",
    "schools",
    "symbol",
]
# What a release publishes (see ``published``).
RELEASE_COLUMNS = [
    "indicator",
    "name",
    "breakdown",
    "group",
    "percent",
    "ci_low",
    "ci_high",
    "n_rounded",
    "symbol",
]


@dataclass(frozen=True)
class IndicatorSpec:
    """A headline figure as data: the share answering ``numerator`` codes of ``question``.

    The base is everyone who answered the question with a code not in ``excluded`` and who
    meets every ``base_filter`` entry (``{question: codes}``).
    """

    key: str
    name: str
    question: str
    numerator: tuple[str, ...]
    base_filter: Mapping[str, Sequence[str]] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept any sequences (JSON lists, database rows) and keep immutable copies.
        object.__setattr__(self, "numerator", tuple(self.numerator))
        object.__setattr__(self, "excluded", tuple(self.excluded))
        object.__setattr__(
            self, "base_filter", {key: tuple(codes) for key, codes in dict(self.base_filter).items()}
        )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The definition's vocabulary, shared by indicators.json and the app's model."""
        return tuple(f.name for f in fields(cls))


def indicator_outcome(frame: pd.DataFrame, spec: IndicatorSpec) -> pd.Series:
    """ "yes"/"no" for rows in the indicator's base, missing elsewhere (a categorical column)."""
    for column in (spec.question, *spec.base_filter):
        if column not in frame.columns:
            raise AnalysisInputError(f"indicator '{spec.key}' needs column '{column}'")
    codes, _ = codes_of(frame[spec.question], blank_is_missing=True)
    in_base = (codes >= 0) & ~rows_matching(frame[spec.question], spec.excluded)
    for column, wanted in spec.base_filter.items():
        in_base &= rows_matching(frame[column], wanted)
    answer = np.where(rows_matching(frame[spec.question], spec.numerator), 1, 0)
    return pd.Series(
        pd.Categorical.from_codes(np.where(in_base, answer, -1), categories=["no", "yes"]),
        index=frame.index,
    )


def _schools(frame: pd.DataFrame, school_of_row: np.ndarray | None, by: str | None) -> dict[str, int] | None:
    """How many schools (clusters, numbered by ``school_of_row``) hold the indicator's base,
    overall or in each group."""
    if school_of_row is None:
        return None
    answered = frame[INDICATOR].notna().to_numpy()
    if by is None:
        return {"": int(np.count_nonzero(np.bincount(school_of_row[answered])))}
    groups, labels = codes_of(frame[by])
    keep = answered & (groups >= 0)
    schools = int(school_of_row.max(initial=0)) + 1
    pairs = groups[keep].astype(np.int64) * schools + school_of_row[keep]
    present = np.bincount(pairs, minlength=len(labels) * schools).reshape(len(labels), schools) > 0
    return dict(zip(labels, present.sum(axis=1).tolist(), strict=True))


def indicator_tables(
    design: SurveyDesign,
    indicators: Iterable[IndicatorSpec],
    breakdowns: Sequence[str] = (),
    ci: str = "logit",
    level: float = 0.95,
    thresholds: disclosure.Thresholds | None = None,
    area_breakdowns: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Every indicator overall and by every breakdown, disclosure control applied across all
    of them at once, at full precision (``ANALYST_COLUMNS``): the analyst's own view.

    A breakdown may be any column of the design's frame, including an intersection made by the
    caller (e.g. ethnic group × SEND) beside its margins: overlapping breakdowns are protected
    together.
    """
    frame = design.frame
    school_of_row = design.cluster_of_row if design.clustered else None  # schools nest in boroughs
    rows, groups = [], {}
    for spec in indicators:
        data = frame.assign(**{INDICATOR: indicator_outcome(frame, spec)})
        groups[spec.key] = data.loc[data[INDICATOR].notna(), list(breakdowns)]
        table = design_estimate(design, data, INDICATOR, breakdowns=breakdowns, ci=ci, level=level)
        table = table[table["category"] == "yes"]
        for by in (None, *breakdowns):
            schools = _schools(data, school_of_row, by)
            for row in table[table["by"] == (by or "")].itertuples():
                rows.append(
                    {
                        "indicator": spec.key,
                        "name": spec.name,
                        "breakdown": by or "",
                        "group": row.by_category if by else "All",
                        "estimate": row.estimate,
                        "se": row.se,
                        "ci_low": row.ci_low,
                        "ci_high": row.ci_high,
                        "n": row.n,
                        "n_eff": row.n_eff,
                        "deff": row.deff,
                        "df": row.df,
                        "schools": None if schools is None else schools.get(row.by_category, 0),
                    }
                )
    table = disclosure.apply(
        pd.DataFrame(rows, columns=[c for c in ANALYST_COLUMNS if c != "symbol"]),
        groups,
        thresholds or disclosure.Thresholds(),
        area_breakdowns,
    )
    return table[ANALYST_COLUMNS]


def published(
    table: pd.DataFrame, decimals: int = 0, thresholds: disclosure.Thresholds | None = None
) -> pd.DataFrame:
    """What a release shows of an analyst table, at the precision of official statistics.

    Percentages and their confidence limits are rounded to ``decimals`` (0 or 1) and counts
    to the nearest 5, from unrounded data. No standard error, design effect or effective
    base is published: with the estimate they give the exact base back
    (n - 1 = deff · p(1-p)/se²), undoing the rounding of counts. Low reliability is the
    ``[u]`` symbol instead; the CI carries the uncertainty.
    """
    if decimals not in (0, 1):
        raise AnalysisInputError("published percentages have 0 or 1 decimal places")
    rounding = (thresholds or disclosure.Thresholds()).rounding
    out = table[["indicator", "name", "breakdown", "group"]].copy()
    for source, target in (("estimate", "percent"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
        out[target] = (table[source].astype(float) * 100).round(decimals)
    out["n_rounded"] = [pd.NA if pd.isna(n) else disclosure.round_count(n, rounding) for n in table["n"]]
    out["symbol"] = table["symbol"]
    return out[RELEASE_COLUMNS]


def release_table(
    design: SurveyDesign,
    indicators: Iterable[IndicatorSpec],
    breakdowns: Sequence[str] = (),
    decimals: int = 0,
    thresholds: disclosure.Thresholds | None = None,
) -> pd.DataFrame:
    """The published form (``RELEASE_COLUMNS``) of :func:`indicator_tables`."""
    return published(
        indicator_tables(design, indicators, breakdowns, thresholds=thresholds), decimals, thresholds
    )
