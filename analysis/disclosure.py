"""Statistical disclosure control for every published or downloadable table (DESIGN §7.5).

Decisions use the unweighted base only. Thresholds can be raised, never lowered below the
defaults here: a configuration that tries is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import differencing
from analysis.errors import AnalysisInputError

CONFIDENTIAL = "[c]"
LOW_RELIABILITY = "[u]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"


@dataclass(frozen=True)
class Thresholds:
    """Minimum unweighted bases; the defaults are the floors (ONS, Sport England CYP)."""

    floor: int = 10  # nothing at all from fewer respondents
    breakdown: int = 30  # a percentage in a breakdown
    reliable: int = 100  # below this base, or n_eff below ``reliable_n_eff``: [u]
    reliable_n_eff: float = 50
    area_schools: int = 3  # an area (borough) figure needs this many schools ...
    area_base: int = 150  # ... and this base
    rounding: int = 5  # published counts are rounded to a multiple of this

    def __post_init__(self) -> None:
        floors = Thresholds.__dataclass_fields__
        for name, spec in floors.items():
            if getattr(self, name) < spec.default:
                raise AnalysisInputError(
                    f"disclosure threshold '{name}' may be raised but not lowered below "
                    f"{spec.default} (asked for {getattr(self, name)})"
                )


DEFAULTS = Thresholds()


def round_count(count: float, base: int = 5) -> int:
    """Nearest multiple of ``base``, halves rounded up (the ONS 10-5 rule's rounding)."""
    return int(np.floor(count / base + 0.5) * base)


def primary_symbol(
    n: int,
    n_eff: float,
    estimate: float,
    *,
    breakdown: bool,
    area: bool,
    schools: int | None,
    thresholds: Thresholds = DEFAULTS,
) -> str:
    """The GSS symbol one cell earns on its own: "" (shown), [c], [u] or [x]."""
    if n < thresholds.floor or (breakdown and n < thresholds.breakdown):
        return CONFIDENTIAL
    if area and ((schools or 0) < thresholds.area_schools or n < thresholds.area_base):
        return CONFIDENTIAL
    if estimate is None or not np.isfinite(estimate):
        return NOT_AVAILABLE
    if n < thresholds.reliable or not n_eff >= thresholds.reliable_n_eff:
        return LOW_RELIABILITY
    return ""


def apply(
    table: pd.DataFrame,
    groups: Mapping[str, pd.DataFrame],
    thresholds: Thresholds = DEFAULTS,
    area_breakdowns: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Adds ``symbol`` to a release table and blanks every figure of a hidden cell.

    ``table`` needs ``indicator, breakdown, group, estimate, n, n_eff`` and, for area
    breakdowns, ``schools``; overall rows have an empty ``breakdown`` and the group "All".
    ``groups`` gives, per indicator, one row per respondent in its base and one column per
    breakdown (the respondent's group, missing when in none): secondary suppression is
    decided across all the breakdowns of the release at once (``analysis.differencing``), so
    no hidden cell can be recovered from any other table of the same release. The exact ``n``
    stays for the analyst's own view; :func:`analysis.publish.published` rounds it.
    """
    table = table.copy()
    breakdown = table["breakdown"].astype(str) != ""
    area = table["breakdown"].isin(area_breakdowns)
    schools = table["schools"] if "schools" in table.columns else pd.Series(None, index=table.index)
    table["symbol"] = [
        primary_symbol(
            int(n),
            float(n_eff),
            float(est),
            breakdown=bool(b),
            area=bool(a),
            schools=None if pd.isna(s) else int(s),
            thresholds=thresholds,
        )
        for n, n_eff, est, b, a, s in zip(
            table["n"], table["n_eff"], table["estimate"], breakdown, area, schools, strict=True
        )
    ]
    cell = pd.Series(
        list(zip(table["breakdown"].astype(str), table["group"].astype(str), strict=True)), index=table.index
    )
    for indicator, rows in table.groupby("indicator", sort=False):
        if indicator not in groups:
            raise AnalysisInputError(f"no respondent groups given for indicator '{indicator}'")
        hidden = set(cell[rows.index[rows["symbol"] == CONFIDENTIAL]])
        hidden = differencing.protect(differencing.cells_of(groups[indicator]), hidden, thresholds.floor)
        table.loc[[i for i in rows.index if cell[i] in hidden], "symbol"] = CONFIDENTIAL
    confidential = table["symbol"] == CONFIDENTIAL
    for column in ("estimate", "ci_low", "ci_high", "se", "n_eff", "deff", "n"):
        if column in table.columns:
            table.loc[confidential, column] = np.nan
    return table
