"""From indicator definitions to one tidy, disclosure-controlled table per release (DESIGN §5, §8)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import disclosure
from analysis.errors import AnalysisInputError
from analysis.estimates import estimate

INDICATOR = "_indicator"
RELEASE_COLUMNS = ["indicator", "name", "breakdown", "group", "estimate", "ci_low", "ci_high",
                   "se", "n_rounded", "n_eff", "deff", "symbol"]


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


def indicator_outcome(frame: pd.DataFrame, spec: IndicatorSpec) -> pd.Series:
    """"yes"/"no" for rows in the indicator's base, missing elsewhere (a categorical column)."""
    for column in (spec.question, *spec.base_filter):
        if column not in frame.columns:
            raise AnalysisInputError(f"indicator '{spec.key}' needs column '{column}'")
    answer = frame[spec.question].astype("string")
    in_base = answer.notna() & (answer.str.strip() != "") & ~answer.isin(spec.excluded)
    for column, codes in spec.base_filter.items():
        in_base &= frame[column].astype("string").isin(list(codes))
    in_base = in_base.fillna(False).to_numpy()
    values = np.where(answer.isin(spec.numerator).fillna(False).to_numpy(), "yes", "no")
    return pd.Series(pd.Categorical(np.where(in_base, values, None), categories=["no", "yes"]),
                     index=frame.index)


def _schools(frame: pd.DataFrame, cluster: str | None, by: str | None) -> pd.Series | None:
    if cluster is None:
        return None
    answered = frame[frame[INDICATOR].notna()]
    if by is None:
        return pd.Series({"": answered[cluster].nunique()})
    return answered.groupby(answered[by].astype(str))[cluster].nunique()


def release_table(frame: pd.DataFrame, indicators: Iterable[IndicatorSpec], weight: str,
                  breakdowns: Sequence[str] = (), strata: str | None = None,
                  cluster: str | None = None, margins: pd.DataFrame | None = None,
                  base_weight: str | None = None, ci: str = "logit", level: float = 0.95,
                  thresholds: disclosure.Thresholds | None = None,
                  area_breakdowns: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Every indicator overall and by every breakdown, with disclosure control applied.

    Published counts are rounded (``n_rounded``); exact bases never leave this function.
    ``deff`` is rounded to two decimals and ``n_eff`` to whole numbers, because together
    with exact values they would give the exact base back (n - 1 = deff × n_eff).
    """
    rows = []
    for spec in indicators:
        data = frame.assign(**{INDICATOR: indicator_outcome(frame, spec)})
        for by in (None, *breakdowns):
            table = estimate(data, INDICATOR, weight, strata=strata, cluster=cluster,
                             margins=margins, base_weight=base_weight, by=by, ci=ci, level=level)
            table = table[(table["category"] == "yes") & ((table["by"] != "") == (by is not None))]
            schools = _schools(data, cluster, by)
            for row in table.itertuples():
                rows.append({
                    "indicator": spec.key, "name": spec.name, "breakdown": by or "",
                    "group": row.by_category if by else "All", "estimate": row.estimate,
                    "ci_low": row.ci_low, "ci_high": row.ci_high, "se": row.se, "n": row.n,
                    "n_eff": row.n_eff, "deff": row.deff,
                    "schools": None if schools is None else schools.get(row.by_category, 0)})
    release = disclosure.apply(pd.DataFrame(rows), thresholds or disclosure.Thresholds(),
                               area_breakdowns)
    release["deff"] = release["deff"].round(2)
    release["n_eff"] = release["n_eff"].round(0)
    return release[RELEASE_COLUMNS]
