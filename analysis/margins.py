"""Population margins (``variable,category,proportion[,count]``): reading and checking them.

Categories are compared as strings, so a year group stored as 7 in the data and "7" in the
margins file still match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
    table = margins.copy()
    table["variable"] = table["variable"].astype(str)
    table["category"] = table["category"].astype(str)
    use_counts = "count" in table.columns and table["count"].notna().any()
    parsed, population = [], None
    for variable, rows in table.groupby("variable", sort=False):
        duplicated = rows["category"][rows["category"].duplicated()]
        if len(duplicated):
            raise AnalysisInputError(
                f"margin '{variable}' lists category '{duplicated.iloc[0]}' twice")
        proportions = pd.to_numeric(rows["proportion"], errors="coerce")
        _check_positive(variable, rows["category"], proportions, "proportion")
        total = float(proportions.sum())
        if abs(total - 1) > PROPORTION_TOLERANCE:
            raise AnalysisInputError(
                f"margin '{variable}': proportions sum to {total:.9g}, not 1 (within 1e-6)")
        if use_counts:
            counts = pd.to_numeric(rows["count"], errors="coerce")
            _check_positive(variable, rows["category"], counts, "count")
            targets = counts.to_numpy(float)
            population = _same_population(variable, targets.sum(), population)
        else:
            targets = proportions.to_numpy(float) * base_total
        parsed.append(Margin(variable, tuple(rows["category"]), targets))
    if not parsed:
        raise AnalysisInputError("margins table is empty")
    return parsed


def _check_positive(variable: str, categories: pd.Series, values: pd.Series, what: str) -> None:
    bad = values.isna() | (values <= 0)
    if bad.any():
        category = categories[bad].iloc[0]
        raise AnalysisInputError(
            f"margin '{variable}', category '{category}': {what} must be a positive number")


def _same_population(variable: str, total: float, population: float | None) -> float:
    if population is not None and abs(total - population) > PROPORTION_TOLERANCE * population:
        raise AnalysisInputError(
            f"margin '{variable}': counts add up to {total:.10g} but earlier variables add up "
            f"to {population:.10g}; every variable must describe the same population")
    return total if population is None else population


def category_codes(frame: pd.DataFrame, margin: Margin) -> np.ndarray:
    """Each row's position in ``margin.categories``; raises on missing or unknown categories.

    Categorical columns are mapped through their categories (cheap at a million rows); other
    columns are compared as strings.
    """
    if margin.variable not in frame.columns:
        raise AnalysisInputError(f"weighting variable '{margin.variable}' is not a column of the data")
    column = frame[margin.variable]
    position = {category: i for i, category in enumerate(margin.categories)}
    if isinstance(column.dtype, pd.CategoricalDtype):
        raw = column.cat.codes.to_numpy()
        labels = [str(c) for c in column.cat.categories]
    else:
        as_text = column.where(column.isna(), column.astype(str))
        uniques, raw = np.unique(as_text.fillna("\0missing").to_numpy(str), return_inverse=True)
        labels = [u for u in uniques]
        raw = np.where(uniques[raw] == "\0missing", -1, raw)
    if (raw < 0).any():
        raise AnalysisInputError(f"weighting variable '{margin.variable}' has missing values")
    lookup = np.array([position.get(label, -1) for label in labels], dtype=np.int64)
    codes = lookup[raw] if len(lookup) else raw.astype(np.int64)
    if (codes < 0).any():
        unknown = labels[int(raw[np.argmax(codes < 0)])]
        raise AnalysisInputError(
            f"weighting variable '{margin.variable}': category '{unknown}' is in the data but "
            "not in the margins")
    present = np.bincount(codes, minlength=len(margin.categories))
    if (present == 0).any():
        absent = margin.categories[int(np.argmax(present == 0))]
        raise AnalysisInputError(
            f"weighting variable '{margin.variable}': target category '{absent}' has no rows "
            "in the data")
    return codes
