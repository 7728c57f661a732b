"""Secondary suppression across a whole release: no hidden cell by adding or subtracting.

A release publishes many breakdowns of one indicator's base, and they overlap: a coarse and a
fine grouping of the same question, an intersection and its margins, "All" and every group.
Every published cell is a set of respondents, so a reader who adds and subtracts published
figures learns about any set in the linear span of the published sets. This module keeps that
span away from what must stay hidden:

- a hidden cell (primary or secondary) is never in the span of the visible cells;
- no small set (fewer than ``floor`` respondents, more than none) is in the span either, for
  the sets a reader can form from two cells: the difference of nested cells, the sum of two
  hidden cells, the intersection of two cells that cover everyone, and per breakdown the rows
  in none of its groups and the union of its hidden groups.

Sets are handled through their Gram matrix ``G[i, j] = |D_i ∩ D_j|`` (counts of respondents in
both), so the work is in cells × cells whatever the number of respondents. A combination
``Σ a_i D_i`` is in the span of the visible cells V exactly when its squared distance to that
span, ``aᵀGa - (G_V a)ᵀ G_VV⁺ (G_V a)``, is zero. An empty cell is the zero set: it can be
hidden but never protects anything, by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OVERALL = ("", "All")
Cell = tuple[str, str]  # (breakdown, group); OVERALL for everyone in the base
_RELATIVE_ZERO = 1e-9


@dataclass(frozen=True)
class Cells:
    """The cells of one indicator's release and their pairwise overlaps."""

    names: list[Cell]
    gram: np.ndarray  # |D_i ∩ D_j|
    breakdown_of: np.ndarray  # index of each cell's breakdown (-1 for OVERALL)

    @property
    def sizes(self) -> np.ndarray:
        return np.diag(self.gram)


def cells_of(groups: pd.DataFrame) -> Cells:
    """The overall cell and every group of every breakdown column of ``groups``.

    ``groups`` has one row per respondent in the base and one column per breakdown holding
    the respondent's group (missing when in none). A categorical column contributes all of
    its categories, so a group nobody is in is still a cell (empty).

    Groups of one breakdown are disjoint, so the Gram matrix is the group sizes on its
    diagonal and, between two breakdowns, their cross-tabulation: one count per pair of
    breakdowns over the rows, whatever the number of cells.
    """
    names, breakdown_of, codes, counts = [OVERALL], [-1], [], []
    for index, breakdown in enumerate(groups.columns):
        values = groups[breakdown]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(pd.CategoricalDtype(sorted(values.dropna().unique(), key=str)))
        size = len(values.cat.categories)
        names += [(breakdown, str(label)) for label in values.cat.categories]
        breakdown_of += [index] * size
        column = values.cat.codes.to_numpy().astype(np.int64)
        codes.append(np.where(column < 0, size, column))  # `size`: in none of its groups
        counts.append(size)
    first = np.cumsum([1, *counts])  # each breakdown's first cell
    gram = np.zeros((len(names), len(names)))
    gram[0, 0] = len(groups)
    for a, (codes_a, size_a) in enumerate(zip(codes, counts, strict=True)):
        cells_a = slice(first[a], first[a] + size_a)
        sizes = np.bincount(codes_a, minlength=size_a + 1)[:size_a]
        gram[0, cells_a] = gram[cells_a, 0] = sizes
        gram[cells_a, cells_a] = np.diag(sizes)
        for b in range(a + 1, len(codes)):
            size_b = counts[b]
            table = np.bincount(codes_a * (size_b + 1) + codes[b], minlength=(size_a + 1) * (size_b + 1))
            both = table.reshape(size_a + 1, size_b + 1)[:size_a, :size_b]
            cells_b = slice(first[b], first[b] + size_b)
            gram[cells_a, cells_b], gram[cells_b, cells_a] = both, both.T
    return Cells(names, gram, np.array(breakdown_of))


def protect(cells: Cells, hidden: set[Cell], floor: int) -> set[Cell]:
    """``hidden`` plus the further cells that must be hidden so nothing small is derivable.

    Each round finds one set a reader could derive, and hides the smallest visible cell used
    in deriving it; it ends when nothing is derivable. Returns the hidden cells by name.
    """
    position = {name: i for i, name in enumerate(cells.names)}
    hidden_at = {position[name] for name in hidden if name in position}
    while True:
        found = _derivable(cells, hidden_at, floor)
        if found is None:
            return {cells.names[i] for i in hidden_at}
        hidden_at.add(_protector(cells, hidden_at, found))


def _visible(cells: Cells, hidden_at: set[int]) -> np.ndarray:
    return np.array([i for i in range(len(cells.names)) if i not in hidden_at], dtype=int)


def _projection(cells: Cells, visible: np.ndarray) -> np.ndarray:
    """``G_VV⁺``: the pseudo-inverse that projects onto the span of the visible cells."""
    block = cells.gram[np.ix_(visible, visible)]
    return np.linalg.pinv(block, rcond=1e-10, hermitian=True)


def in_span(cells: Cells, visible: np.ndarray, combinations: np.ndarray) -> np.ndarray:
    """Which columns of ``combinations`` (cells × k coefficients) the visible cells determine."""
    if combinations.shape[1] == 0:
        return np.zeros(0, bool)
    gram_a = cells.gram @ combinations
    length = np.einsum("ik,ik->k", combinations, gram_a)
    if len(visible) == 0:
        return length <= 0
    towards = gram_a[visible]
    explained = np.einsum("ik,ik->k", towards, _projection(cells, visible) @ towards)
    return length - explained <= _RELATIVE_ZERO * np.maximum(length, 1.0)


def _candidates(cells: Cells, hidden_at: set[int], floor: int) -> np.ndarray:
    """Sets that must stay hidden and a reader might form, as coefficient columns."""
    gram, sizes, count = cells.gram, cells.sizes, len(cells.names)
    columns = []

    def add(coefficients: dict[int, float], size: float, always: bool = False) -> None:
        if always or 0 < size < floor:
            column = np.zeros(count)
            for i, a in coefficients.items():
                column[i] += a
            columns.append(column)

    for h in hidden_at:
        if sizes[h] > 0:
            add({h: 1.0}, sizes[h], always=True)
    nonempty = np.flatnonzero(sizes > 0)
    for i in nonempty:
        for j in nonempty:
            if i == j:
                continue
            overlap = gram[i, j]
            if overlap == sizes[j] and sizes[i] > sizes[j]:  # j nested in i
                add({i: 1.0, j: -1.0}, sizes[i] - sizes[j])
            if i < j and overlap == 0 and i in hidden_at and j in hidden_at:
                add({i: 1.0, j: 1.0}, sizes[i] + sizes[j])
            if i < j and sizes[i] + sizes[j] - overlap == sizes[0] and 0 < overlap < sizes[i]:
                add({i: 1.0, j: 1.0, 0: -1.0}, overlap)  # they cover everyone: D_i ∩ D_j
    for b in np.unique(cells.breakdown_of[cells.breakdown_of >= 0]):
        groups = np.flatnonzero(cells.breakdown_of == b)
        hidden_groups = [g for g in groups if g in hidden_at and sizes[g] > 0]
        in_none = {0: 1.0, **{int(g): -1.0 for g in groups}}
        none_size = sizes[0] - sizes[groups].sum()
        hidden_size = sizes[hidden_groups].sum()
        add(in_none, none_size)
        add({int(g): 1.0 for g in hidden_groups}, hidden_size)
        if hidden_groups:
            add({**in_none, **{int(g): 0.0 for g in hidden_groups}}, none_size + hidden_size)
    return np.column_stack(columns) if columns else np.zeros((count, 0))


def _derivable(cells: Cells, hidden_at: set[int], floor: int) -> np.ndarray | None:
    """The coefficients of the first set that must stay hidden but is derivable, if any."""
    combinations = _candidates(cells, hidden_at, floor)
    derived = in_span(cells, _visible(cells, hidden_at), combinations)
    return combinations[:, int(np.argmax(derived))] if derived.any() else None


def _protector(cells: Cells, hidden_at: set[int], combination: np.ndarray) -> int:
    """The smallest non-empty visible cell that takes part in deriving ``combination``."""
    visible = _visible(cells, hidden_at)
    coefficients = _projection(cells, visible) @ (cells.gram @ combination)[visible]
    used = np.abs(coefficients) > 1e-9 * max(np.abs(coefficients).max(), 1e-300)
    sizes = cells.sizes[visible]
    options = visible[used & (sizes > 0) & (visible != 0)]
    if len(options) == 0:  # only "All" is involved: hide the smallest other visible cell
        options = visible[(sizes > 0) & (visible != 0)]
    if len(options) == 0:
        return 0
    return int(options[np.argmin(cells.sizes[options])])
