"""Population margins (``variable,category,proportion[,count]``): reading and checking them.

Categories are compared as strings, so a year group stored as 7 in the data and "7" in the
margins file still match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.columns import codes_of
from analysis.errors import AnalysisInputError

PROPORTION_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Margin:
    """One weighting variable: its categories in order and their target totals."""

    variable: str
    categories: tuple[str, ...]
    targets: np.ndarray  # totals, already scaled to the weight sum wanted


def parse_margins(margins: pd.DataFrame, base_total: float) -> list[Margin]:
    """Checks the margins table and turns it into target totals.

    Proportions must sum to 1 per variable (within 1e-6). With a ``count`` column the targets
    are population counts (every variable must then add up to the same population); without
    it they are the proportions times ``base_total``.
    """
    required = {"variable", "category", "proportion"}
    missing = required - set(margins.columns)
    if missing:
        raise AnalysisInputError(f"margins need the columns {sorted(required)}; missing {sorted(missing)}")
    variables = [str(v) for v in margins["variable"]]
    categories = [str(c) for c in margins["category"]]
    proportions = pd.to_numeric(margins["proportion"], errors="coerce").to_numpy(float)
    counts = (
        pd.to_numeric(margins["count"], errors="coerce").to_numpy(float)
        if "count" in margins.columns
        else np.full(len(margins), np.nan)
    )
    use_counts = not np.isnan(counts).all()
    parsed, population = [], None
    for variable in dict.fromkeys(variables):
        rows = [i for i, v in enumerate(variables) if v == variable]
        names = [categories[i] for i in rows]
        if len(set(names)) < len(names):
            twice = next(name for name in names if names.count(name) > 1)
            raise AnalysisInputError(f"margin '{variable}' lists category '{twice}' twice")
        shares = proportions[rows]
        _check_positive(variable, names, shares, "proportion")
        total = float(shares.sum())
        if abs(total - 1) > PROPORTION_TOLERANCE:
            raise AnalysisInputError(
                f"margin '{variable}': proportions sum to {total:.9g}, not 1 (within 1e-6)"
            )
        if use_counts:
            targets = counts[rows]
            _check_positive(variable, names, targets, "count")
            population = _same_population(variable, float(targets.sum()), population)
        else:
            targets = shares * base_total
        parsed.append(Margin(variable, tuple(names), targets))
    if not parsed:
        raise AnalysisInputError("margins table is empty")
    return parsed


def check_margins(margins: pd.DataFrame) -> None:
    """Raises :class:`AnalysisInputError` unless ``margins`` is a table :func:`rake` accepts:
    lets an upload be refused with the very rule the weighting will apply."""
    parse_margins(margins, base_total=1.0)


def _check_positive(variable: str, categories: list[str], values: np.ndarray, what: str) -> None:
    bad = np.isnan(values) | (values <= 0)
    if bad.any():
        category = categories[int(np.argmax(bad))]
        raise AnalysisInputError(
            f"margin '{variable}', category '{category}': {what} must be a positive number"
        )


def _same_population(variable: str, total: float, population: float | None) -> float:
    if population is not None and abs(total - population) > PROPORTION_TOLERANCE * population:
        raise AnalysisInputError(
            f"margin '{variable}': counts add up to {total:.10g} but earlier variables add up "
            f"to {population:.10g}; every variable must describe the same population"
        )
    return total if population is None else population


def category_codes(frame: pd.DataFrame, margin: Margin) -> np.ndarray:
    """Each row's position in ``margin.categories`` as a small integer array.

    Raises on missing values and on categories the margins do not know. A categorical column
    whose categories are already the margin's, in order, costs nothing here.
    """
    if margin.variable not in frame.columns:
        raise AnalysisInputError(f"weighting variable '{margin.variable}' is not a column of the data")
    raw, labels = codes_of(frame[margin.variable])
    if (raw < 0).any():
        raise AnalysisInputError(f"weighting variable '{margin.variable}' has missing values")
    if tuple(labels) == margin.categories:
        return raw
    position = {category: i for i, category in enumerate(margin.categories)}
    lookup = np.array([position.get(label, -1) for label in labels], dtype=np.int16)
    codes = lookup[raw]
    if (codes < 0).any():
        unknown = labels[int(raw[np.argmax(codes < 0)])]
        raise AnalysisInputError(
            f"weighting variable '{margin.variable}': category '{unknown}' is in the data but "
            "not in the margins"
        )
    return codes


def check_present(margin: Margin, rows_per_category: np.ndarray) -> None:
    """Every target category needs rows: raking cannot weight up nobody."""
    if (rows_per_category == 0).any():
        absent = margin.categories[int(np.argmax(rows_per_category == 0))]
        raise AnalysisInputError(
            f"weighting variable '{margin.variable}': target category '{absent}' has no rows in the data"
        )
