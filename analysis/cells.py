"""Rows grouped into weighting cells: every combination of the weighting variables' categories.

Raking and calibration only ever see a row through its cell, so both work on a few thousand
cell totals instead of a million rows; the rows are touched once to group and once to expand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Up to this many combinations a row's cell is its combination number, empty cells included.
DENSE_CELL_LIMIT = 1 << 22


@dataclass(frozen=True)
class Cells:
    of_row: np.ndarray  # each row's cell number, 0..count-1
    codes: list[np.ndarray]  # per variable: each cell's category position
    rows: np.ndarray  # how many rows each cell has (0 for an empty combination)

    @property
    def count(self) -> int:
        return len(self.rows)

    def total(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each cell's rows."""
        return np.bincount(self.of_row, weights=values, minlength=self.count)


def group_cells(codes: list[np.ndarray], sizes: list[int]) -> Cells:
    """Numbers the combinations of the per-variable category ``codes`` (small integer arrays)."""
    possible = int(np.prod(sizes, dtype=np.float64))
    dense = possible <= DENSE_CELL_LIMIT
    key = codes[0].astype(np.int32 if dense else np.int64)
    for column, size in zip(codes[1:], sizes[1:], strict=True):
        key *= size
        key += column
    if dense:
        rows = np.bincount(key, minlength=possible)
        cell_keys = np.arange(possible)
    else:
        cell_keys, key, rows = np.unique(key, return_inverse=True, return_counts=True)
    cell_codes, rest = [], cell_keys
    for size in reversed(sizes):
        cell_codes.append(rest % size)
        rest = rest // size
    return Cells(key, list(reversed(cell_codes)), rows)
