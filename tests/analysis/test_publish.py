"""Indicator definitions to a release table: bases, breakdowns, suppression, no exact counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import SurveyDesign, disclosure, rake
from analysis.disclosure import CONFIDENTIAL
from analysis.publish import (
    ANALYST_COLUMNS,
    RELEASE_COLUMNS,
    IndicatorSpec,
    indicator_outcome,
    indicator_tables,
    published,
)
from tests.analysis.cases import make_case

LESS_SAFE = IndicatorSpec("felt_less_safe", "Feel less safe", "felt", ("less_safe",), {"aware": ["yes"]})
MORE_SAFE = IndicatorSpec(
    "felt_more_safe", "Feel more safe", "felt", ("more_safe",), {"aware": ["yes"]}, excluded=("dont_know",)
)


def test_indicator_base_follows_filter_and_exclusions():
    frame = pd.DataFrame(
        {
            "felt": ["more_safe", "dont_know", "less_safe", "", "more_safe"],
            "aware": ["yes", "yes", "yes", "yes", "no"],
        }
    )
    values = indicator_outcome(frame, MORE_SAFE)
    assert values.isna().tolist() == [False, True, False, True, True]
    assert values.dropna().tolist() == ["yes", "no"]


@pytest.fixture(scope="module")
def release():
    case = make_case(12)
    frame = case.frame.assign(weight=rake(case.frame, case.margins).weights)
    design = SurveyDesign.from_frame(
        frame, "weight", strata="borough", cluster="school", margins=case.margins
    )
    analyst = indicator_tables(
        design, [LESS_SAFE, MORE_SAFE], ["eth", "borough"], area_breakdowns=frozenset({"borough"})
    )
    assert list(analyst.columns) == ANALYST_COLUMNS
    return frame, published(analyst), analyst


def test_release_has_every_indicator_overall_and_by_each_breakdown(release):
    frame, table, _ = release
    assert list(table.columns) == RELEASE_COLUMNS
    for key in ("felt_less_safe", "felt_more_safe"):
        rows = table[table["indicator"] == key]
        assert rows[rows["breakdown"] == ""]["group"].tolist() == ["All"]
        assert set(rows[rows["breakdown"] == "eth"]["group"]) == set(frame["eth"])


def test_overall_estimate_is_the_weighted_share_of_the_base(release):
    frame, table, analyst = release
    base = frame[(frame["aware"] == "yes") & ~frame["felt"].isin(["", "dont_know"])]
    expected = base.loc[base["felt"] == "more_safe", "weight"].sum() / base["weight"].sum()
    overall = analyst[(analyst["indicator"] == "felt_more_safe") & (analyst["group"] == "All")]
    assert overall["estimate"].iloc[0] == pytest.approx(expected)
    shown = table[(table["indicator"] == "felt_more_safe") & (table["group"] == "All")]
    assert shown["percent"].iloc[0] == round(expected * 100)


def test_small_groups_are_hidden_and_counts_rounded(release):
    _, table, _ = release
    hidden = table["symbol"] == CONFIDENTIAL
    assert hidden.any() and table.loc[hidden, "percent"].isna().all()
    shown = table.loc[~hidden, "n_rounded"].astype(int)
    assert (shown % 5 == 0).all()
    in_breakdowns = table.loc[~hidden & (table["breakdown"] != ""), "n_rounded"].astype(int)
    assert (in_breakdowns >= 30).all()
    assert "n" not in table.columns


def _bases_consistent(row: pd.Series, rounding: int = 5) -> set[int]:
    """A reader's attack on one published row: the exact bases that rounding to 5 leaves,
    narrowed by every identity the published columns allow (n - 1 = deff·p(1-p)/se² and
    n - 1 = deff · n_eff, each within the precision the columns are published at)."""
    shown = int(row["n_rounded"])
    candidates = set(range(shown - rounding // 2, shown + rounding // 2 + 1))
    p = row.get("estimate", row.get("percent", np.nan) / 100)
    if "deff" not in row.index:
        return candidates
    # deff published to two decimals is off by up to 0.005; at full precision not at all.
    slack = 0.005 / row["deff"] if round(row["deff"], 2) == row["deff"] else 0.0
    if "se" in row.index and row["se"] > 0:
        implied = row["deff"] * p * (1 - p) / row["se"] ** 2 + 1
        candidates = {n for n in candidates if abs(n - implied) < 0.5 + slack * implied}
    if "n_eff" in row.index:
        implied = row["deff"] * row["n_eff"] + 1
        candidates = {n for n in candidates if abs(n - implied) < 0.5 + slack * implied + row["deff"] / 2}
    return candidates


@pytest.mark.parametrize("seed", [12, 13, 31, 47])
def test_the_exact_base_of_a_published_row_cannot_be_pinned_down(seed):
    case = make_case(seed)
    frame = case.frame.assign(weight=rake(case.frame, case.margins, base_weight=case.base_weight).weights)
    design = SurveyDesign.from_frame(
        frame,
        "weight",
        strata="borough",
        cluster="school",
        margins=case.margins,
        base_weight=case.base_weight,
    )
    analyst = indicator_tables(design, [LESS_SAFE, MORE_SAFE], ["eth", "sex", "year"])
    table = published(analyst)
    assert list(table.columns) == RELEASE_COLUMNS
    visible = table[table["symbol"] != CONFIDENTIAL]
    assert len(visible) >= 5
    for _, row in visible.iterrows():
        assert len(_bases_consistent(row)) == 5, row.to_dict()
        assert float(row["percent"]).is_integer() and float(row["ci_low"]).is_integer()
    # The analyst's own table keeps full precision, and the same attack pins most bases.
    shown = analyst[analyst["symbol"] != CONFIDENTIAL].assign(
        n_rounded=lambda t: [disclosure.round_count(n) for n in t["n"]]
    )
    pinned = sum(len(_bases_consistent(row)) == 1 for _, row in shown.iterrows())
    assert pinned > len(shown) / 2


def test_each_group_against_the_rest_has_one_definition(release):
    """``each_against_rest`` and the equality view compare a group with everyone else in the
    base, those who did not give a group included: the same numbers from both."""
    from analysis import each_against_rest, equality_table

    frame, _, analyst = release
    frame = frame.assign(eth=frame["eth"].where(np.arange(len(frame)) % 7 != 0))  # some did not say
    design = SurveyDesign.from_frame(
        frame.assign(less=indicator_outcome(frame, LESS_SAFE)), "weight", strata="borough", cluster="school"
    )
    shown = indicator_tables(design, [LESS_SAFE], ["eth"])
    view = equality_table(design, [LESS_SAFE], ["eth"], shown).set_index("group")
    direct = each_against_rest(design, "less", "yes", "eth").set_index("group").loc[view.index]
    assert len(view) >= 2
    for ours, theirs in (
        ("estimate_rest", "estimate_b"),
        ("difference", "difference"),
        ("p_value", "p_value"),
    ):
        np.testing.assert_allclose(view[ours], direct[theirs], rtol=1e-12)
    # The rest includes those who did not say: it differs from comparing with the other groups only.
    said = design.frame["eth"].notna().to_numpy()
    assert not said.all()
