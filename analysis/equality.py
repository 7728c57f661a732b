"""The equality view: every group of a breakdown against the rest of the base (DESIGN §7.4).

"The rest" is everyone else in the indicator's base, including those who did not answer the
breakdown question. That choice keeps the view safe to publish: the rest is the overall cell
minus the group's cell, both already shown, so a comparison reveals no new set of people.
A comparison is shown only where the group's own cell is shown and the rest meets the
breakdown threshold; its p-values are adjusted for the number of groups compared (Holm).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis import disclosure
from analysis.columns import codes_of
from analysis.compare import base_sums, compare_with_rest
from analysis.design import SurveyDesign
from analysis.estimates import outcome_codes
from analysis.publish import INDICATOR, IndicatorSpec, indicator_outcome

COLUMNS = [
    "indicator",
    "name",
    "breakdown",
    "group",
    "estimate",
    "estimate_rest",
    "difference",
    "se_difference",
    "ci_low",
    "ci_high",
    "df",
    "p_value",
    "p_holm",
    "flagged",
    "n_rest",
]
PUBLISHED_COLUMNS = [
    "indicator",
    "name",
    "breakdown",
    "group",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "flagged",
]


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment: controls the chance of any false flag in the family.

    A comparison without a p-value (no variance) is not counted and stays without one.
    """
    p = np.asarray(p_values, float)
    adjusted = np.full_like(p, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    steps = (len(order) - np.arange(len(order))) * p[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return adjusted


def equality_table(
    design: SurveyDesign,
    indicators: Iterable[IndicatorSpec],
    breakdowns: Sequence[str],
    shown: pd.DataFrame,
    level: float = 0.95,
    thresholds: disclosure.Thresholds | None = None,
) -> pd.DataFrame:
    """Each shown group of each breakdown against everyone else in the base, per indicator
    (``COLUMNS``).

    ``shown`` is the release's disclosure-controlled table (``indicator_tables``): a
    comparison needs its group's cell and the overall cell to be visible there. Holm's
    family is one indicator within one breakdown.
    """
    thresholds = thresholds or disclosure.Thresholds()
    frame = design.frame
    visible = shown[shown["symbol"] != disclosure.CONFIDENTIAL]
    cells = {
        key: list(zip(rows["group"], rows["n"], strict=True))
        for key, rows in visible.groupby(["indicator", "breakdown"], sort=False)
    }
    rows = []
    for spec in indicators:
        coded = outcome_codes(frame.assign(**{INDICATOR: indicator_outcome(frame, spec)}), INDICATOR)
        if (spec.key, "") not in cells or "yes" not in coded.categories:
            continue
        total = int(cells[(spec.key, "")][0][1])
        everyone = base_sums(design, coded)  # once for every breakdown of the indicator
        for by in breakdowns:
            codes, labels = codes_of(frame[by])
            position = {label: i for i, label in enumerate(labels)}
            compared = [
                (group, int(n))
                for group, n in cells.get((spec.key, by), [])
                if total - int(n) >= thresholds.breakdown
            ]
            results = compare_with_rest(
                design, coded, "yes", codes, [position[g] for g, _ in compared], everyone, level=level
            )
            family = [
                {
                    "indicator": spec.key,
                    "name": spec.name,
                    "breakdown": by,
                    "group": group,
                    "estimate": result.estimate_a,
                    "estimate_rest": result.estimate_b,
                    "difference": result.difference,
                    "se_difference": result.se_difference,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "df": result.df,
                    "p_value": result.p_value,
                    "flagged": result.differs,
                    "n_rest": total - n,
                }
                for (group, n), result in zip(compared, results, strict=True)
            ]
            adjusted = holm([row["p_value"] for row in family])
            rows += [{**row, "p_holm": float(p)} for row, p in zip(family, adjusted, strict=True)]
    return pd.DataFrame(rows, columns=COLUMNS)


def published_equality(table: pd.DataFrame, decimals: int = 0) -> pd.DataFrame:
    """Differences in percentage points at the release's precision, p-values to 3 places;
    no standard errors or bases (see :func:`analysis.publish.published`)."""
    out = table[["indicator", "name", "breakdown", "group"]].copy()
    for column in ("difference", "ci_low", "ci_high"):
        out[column] = (table[column].astype(float) * 100).round(decimals)
    for column in ("p_value", "p_holm"):
        out[column] = table[column].astype(float).round(3)
    out["flagged"] = table["flagged"].astype(bool)
    return out[PUBLISHED_COLUMNS]
