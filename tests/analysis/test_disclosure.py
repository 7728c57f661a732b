"""Disclosure control: thresholds, rounding, and no recovery of a hidden cell by subtraction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import AnalysisInputError
from analysis.disclosure import CONFIDENTIAL, LOW_RELIABILITY, Thresholds, apply, round_count


def _table(
    groups: list[int],
    total: int | None = None,
    n_eff_share: float = 0.8,
    breakdown: str = "eth",
    schools: list[int] | None = None,
) -> pd.DataFrame:
    total = total if total is not None else sum(groups)
    rows = [("ind", "", "All", total, None)] + [
        ("ind", breakdown, f"g{i}", n, None if schools is None else schools[i]) for i, n in enumerate(groups)
    ]
    table = pd.DataFrame(rows, columns=["indicator", "breakdown", "group", "n", "schools"])
    return table.assign(
        estimate=0.3, ci_low=0.2, ci_high=0.4, se=0.05, n_eff=table["n"] * n_eff_share, deff=1 / n_eff_share
    )


def _respondents(
    groups: list[int], total: int | None = None, breakdown: str = "eth"
) -> dict[str, pd.DataFrame]:
    """One row per respondent: ``groups[i]`` of them in g{i}, the rest of ``total`` in none."""
    labels = [f"g{i}" for i, n in enumerate(groups) for _ in range(n)]
    labels += [None] * ((total if total is not None else sum(groups)) - len(labels))
    return {"ind": pd.DataFrame({breakdown: pd.Series(labels, dtype="string")})}


def _apply(
    groups: list[int],
    total: int | None = None,
    breakdown: str = "eth",
    thresholds: Thresholds | None = None,
    **options,
) -> pd.DataFrame:
    table = _table(groups, total, breakdown=breakdown, **options)
    return apply(
        table,
        _respondents(groups, total, breakdown),
        thresholds or Thresholds(),
        **({"area_breakdowns": frozenset({breakdown})} if breakdown == "borough" else {}),
    )


def test_floor_breakdown_and_reliability_thresholds():
    published = _apply([9, 29, 30, 99, 100], total=400)
    symbols = published.set_index("group")["symbol"]
    assert symbols["g0"] == symbols["g1"] == CONFIDENTIAL
    assert symbols["g2"] == symbols["g3"] == LOW_RELIABILITY
    assert symbols["g4"] == "" and symbols["All"] == ""
    assert published.loc[published["symbol"] == CONFIDENTIAL, "estimate"].isna().all()
    assert published.loc[published["symbol"] == CONFIDENTIAL, "n"].isna().all()


def test_low_effective_size_is_marked_unreliable():
    published = _apply([200, 200], n_eff_share=0.2)  # n_eff 40 in each group
    assert published["symbol"].tolist() == ["", LOW_RELIABILITY, LOW_RELIABILITY]


def test_area_figures_need_three_schools_and_a_base_of_150():
    published = _apply([400, 149, 400], breakdown="borough", schools=[2, 5, 3])
    symbols = published.set_index("group")["symbol"]
    assert symbols["g0"] == CONFIDENTIAL and symbols["g1"] == CONFIDENTIAL and symbols["g2"] == ""


def test_counts_are_rounded_to_five_half_up():
    assert [round_count(n) for n in (10, 12, 13, 17, 18, 152)] == [10, 10, 15, 15, 20, 150]


def test_thresholds_may_be_raised_but_not_lowered():
    assert Thresholds(floor=20, breakdown=50).floor == 20
    with pytest.raises(AnalysisInputError, match="not lowered below 10"):
        Thresholds(floor=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=8), st.integers(0, 60))
def test_no_visible_cell_is_small_and_no_hidden_cell_can_be_recovered(groups, missing):
    thresholds = Thresholds()
    published = _apply(groups, total=sum(groups) + missing, thresholds=thresholds)
    rows = published[published["breakdown"] != ""]
    bases = pd.Series(groups, index=rows.index)
    visible = rows["symbol"] != CONFIDENTIAL
    assert (bases[visible] >= thresholds.breakdown).all()
    hidden = bases[~visible]
    nonempty_hidden = hidden[hidden > 0]
    if len(nonempty_hidden) > 0 and visible.any():
        # total minus the visible groups gives the hidden ones plus those in no group: that
        # is never one hidden cell alone (an empty group does not count as a second), and
        # never a small count either.
        assert len(nonempty_hidden) >= 2 or missing > 0
        assert nonempty_hidden.sum() + missing >= thresholds.floor
    overall = published[published["breakdown"] == ""].iloc[0]
    total = sum(groups) + missing
    # "All" is hidden below the floor, or when it is one hidden group under another name.
    assert (overall["symbol"] == CONFIDENTIAL) == (
        total < thresholds.floor or (nonempty_hidden == total).any()
    )
    hidden_rows = published["symbol"] == CONFIDENTIAL
    assert published.loc[~hidden_rows, "n"].notna().all()
    assert published.loc[hidden_rows, ["n", "estimate"]].isna().all().all()


def test_estimates_without_a_value_are_marked_not_available():
    table = _table([200, 200]).assign(estimate=[0.3, np.nan, 0.3])
    assert apply(table, _respondents([200, 200]))["symbol"].tolist() == ["", "[x]", ""]
