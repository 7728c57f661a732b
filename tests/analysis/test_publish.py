"""Indicator definitions to a release table: bases, breakdowns, suppression, no exact counts."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import rake
from analysis.disclosure import CONFIDENTIAL
from analysis.publish import RELEASE_COLUMNS, IndicatorSpec, indicator_outcome, release_table
from tests.analysis.cases import make_case

LESS_SAFE = IndicatorSpec("felt_less_safe", "Feel less safe", "felt", ("less_safe",),
                          {"aware": ["yes"]})
MORE_SAFE = IndicatorSpec("felt_more_safe", "Feel more safe", "felt", ("more_safe",),
                          {"aware": ["yes"]}, excluded=("dont_know",))


def test_indicator_base_follows_filter_and_exclusions():
    frame = pd.DataFrame({"felt": ["more_safe", "dont_know", "less_safe", "", "more_safe"],
                          "aware": ["yes", "yes", "yes", "yes", "no"]})
    values = indicator_outcome(frame, MORE_SAFE)
    assert values.isna().tolist() == [False, True, False, True, True]
    assert values.dropna().tolist() == ["yes", "no"]


@pytest.fixture(scope="module")
def release():
    case = make_case(12)
    frame = case.frame.assign(weight=rake(case.frame, case.margins).weights)
    table = release_table(frame, [LESS_SAFE, MORE_SAFE], "weight", ["eth", "borough"],
                          strata="borough", cluster="school", margins=case.margins,
                          area_breakdowns=frozenset({"borough"}))
    return frame, table


def test_release_has_every_indicator_overall_and_by_each_breakdown(release):
    frame, table = release
    assert list(table.columns) == RELEASE_COLUMNS
    for key in ("felt_less_safe", "felt_more_safe"):
        rows = table[table["indicator"] == key]
        assert rows[rows["breakdown"] == ""]["group"].tolist() == ["All"]
        assert set(rows[rows["breakdown"] == "eth"]["group"]) == set(frame["eth"])


def test_overall_estimate_is_the_weighted_share_of_the_base(release):
    frame, table = release
    base = frame[(frame["aware"] == "yes") & ~frame["felt"].isin(["", "dont_know"])]
    expected = base.loc[base["felt"] == "more_safe", "weight"].sum() / base["weight"].sum()
    overall = table[(table["indicator"] == "felt_more_safe") & (table["group"] == "All")]
    assert overall["estimate"].iloc[0] == pytest.approx(expected)


def test_small_groups_are_hidden_and_counts_rounded(release):
    _, table = release
    hidden = table["symbol"] == CONFIDENTIAL
    assert hidden.any() and table.loc[hidden, "estimate"].isna().all()
    shown = table.loc[~hidden, "n_rounded"].astype(int)
    assert (shown % 5 == 0).all()
    in_breakdowns = table.loc[~hidden & (table["breakdown"] != ""), "n_rounded"].astype(int)
    assert (in_breakdowns >= 30).all()
    assert "n" not in table.columns
