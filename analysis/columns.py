"""Columns as integer codes: the one place that turns text or categorical data into positions.

Categorical columns are free (their codes already exist); other columns are hashed once with
``pd.factorize``. Labels are compared as strings everywhere, so 7 and "7" are the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def codes_of(column: pd.Series, blank_is_missing: bool = False) -> tuple[np.ndarray, list[str]]:
    """Each row's position in the returned labels (-1 where missing), and the labels as text.

    The codes are the narrowest integers that fit; widen them before doing arithmetic.

    For a categorical column the labels are all its categories, used or not.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()  # int8 or int16: cheap to carry around
        labels = [str(c) for c in column.cat.categories]
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        labels = [str(u) for u in uniques]
    if blank_is_missing:
        blank = [i for i, label in enumerate(labels) if label.strip() == ""]
        if blank:
            codes = np.where(np.isin(codes, blank), -1, codes)
    return codes, labels


def rows_matching(column: pd.Series, wanted: Iterable[object]) -> np.ndarray:
    """Rows whose value, as text, is one of ``wanted``."""
    codes, labels = codes_of(column)
    targets = {str(w) for w in wanted}
    hits = [i for i, label in enumerate(labels) if label in targets]
    return np.isin(codes, hits)
