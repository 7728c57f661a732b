"""Rows grouped into weighting cells: every combination of the weighting variables' categories.

Raking and calibration only ever see a row through its cell, so both work on a few thousand
cell totals instead of a million rows; the rows are touched once to group and once to expand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Above this many possible combinations the cells are numbered by sorting instead of by arithmetic.
DENSE_CELL_LIMIT = 1 << 22


@dataclass(frozen=True)
class Cells:
    of_row: np.ndarray  # each row's cell number, 0..count-1
    codes: list[np.ndarray]  # per variable: each cell's category position
    count: int

    def total(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each cell's rows."""
        return np.bincount(self.of_row, weights=values, minlength=self.count)


def group_cells(codes: list[np.ndarray], sizes: list[int]) -> Cells:
    """Numbers the non-empty combinations of the per-variable category ``codes``."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for column, size in zip(codes, sizes, strict=True):
        key = key * size + column
    possible = int(np.prod(sizes, dtype=np.float64))
    if possible <= DENSE_CELL_LIMIT:
        occupied = np.flatnonzero(np.bincount(key, minlength=possible))
        renumber = np.full(possible, -1, dtype=np.int64)
        renumber[occupied] = np.arange(len(occupied))
        of_row, cell_keys = renumber[key], occupied
    else:
        cell_keys, of_row = np.unique(key, return_inverse=True)
    cell_codes, rest = [], cell_keys.copy()
    for size in reversed(sizes):
        cell_codes.append(rest % size)
        rest //= size
    return Cells(of_row, list(reversed(cell_codes)), len(cell_keys))
