"""estimate(): invariants, domain estimation on the full design, the contract's columns, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisInputError, estimate, rake
from analysis.estimates import COLUMNS
from tests.analysis.cases import make_case


@pytest.fixture(scope="module")
def weighted():
    case = make_case(21)
    return case.frame.assign(weight=rake(case.frame, case.margins).weights), case.margins


def test_the_table_has_the_contract_columns_and_proportions_sum_to_one(weighted):
    frame, margins = weighted
    table = estimate(
        frame,
        "felt",
        "weight",
        strata="borough",
        cluster="school",
        margins=margins,
        where={"aware": "yes"},
        by="eth",
    )
    assert list(table.columns) == COLUMNS
    for _, domain in table.groupby(["by", "by_category"]):
        assert domain["estimate"].sum() == pytest.approx(1)
        assert (domain["ci_low"] <= domain["estimate"]).all()
        assert (domain["estimate"] <= domain["ci_high"]).all()
    overall = table[table["by"] == ""]
    base = (frame["aware"] == "yes") & (frame["felt"] != "")
    assert set(overall["n"]) == {int(base.sum())}


def test_estimates_are_weighted_shares_of_the_base(weighted):
    frame, _ = weighted
    table = estimate(frame, "felt", "weight", where={"aware": "yes"})
    base = frame[(frame["aware"] == "yes") & (frame["felt"] != "")]
    expected = base.groupby("felt")["weight"].sum() / base["weight"].sum()
    got = table.set_index("category")["estimate"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_domain_se_uses_the_full_design_not_a_subset(weighted):
    """Dropping the other rows changes the SE when a stratum loses clusters; domains must not."""
    frame, _ = weighted
    kept = estimate(frame, "felt", "weight", strata="borough", cluster="school", where={"eth": "Other"})
    dropped = estimate(frame[frame["eth"] == "Other"], "felt", "weight", strata="borough", cluster="school")
    np.testing.assert_allclose(kept["estimate"], dropped["estimate"])
    assert not np.allclose(kept["se"], dropped["se"])


def test_calibration_aware_se_is_smaller_for_a_weighting_variable(weighted):
    frame, margins = weighted
    plain = estimate(frame, "sex", "weight", strata="borough", cluster="school")
    calibrated = estimate(frame, "sex", "weight", strata="borough", cluster="school", margins=margins)
    assert (calibrated["se"] < 1e-8).all()  # raked exactly to its margin: no sampling error
    assert (plain["se"] > 1e-3).all()


def test_categorical_outcome_reports_every_category(weighted):
    frame, _ = weighted
    declared = ["more_safe", "less_safe", "never"]
    felt = frame["felt"].where(frame["felt"].isin(declared))
    frame = frame.assign(felt=pd.Categorical(felt, categories=declared))
    table = estimate(frame, "felt", "weight")
    assert list(table["category"]) == ["more_safe", "less_safe", "never"]
    never = table.set_index("category").loc["never"]
    assert never["estimate"] == 0 and never["ci_low"] == 0 and 0 < never["ci_high"] < 0.05


@pytest.mark.parametrize("ci", ["logit", "beta", "wilson"])
def test_every_interval_method_contains_the_estimate_and_widens_with_level(weighted, ci):
    frame, margins = weighted
    narrow = estimate(frame, "felt", "weight", cluster="school", margins=margins, ci=ci, level=0.8)
    wide = estimate(frame, "felt", "weight", cluster="school", margins=margins, ci=ci, level=0.99)
    assert (wide["ci_low"] < narrow["ci_low"]).all() and (wide["ci_high"] > narrow["ci_high"]).all()


def test_a_stratum_with_one_school_is_kept_in_the_variance(weighted):
    frame, _ = weighted
    lonely = frame.groupby("borough")["school"].nunique()
    assert (lonely == 1).any()  # the case has such a stratum (R's lonely.psu="adjust")
    table = estimate(frame, "felt", "weight", strata="borough", cluster="school")
    assert table["se"].notna().all() and (table["se"] > 0).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "shoe"}, "outcome column 'shoe'"),
        ({"weight": "w"}, "weight column 'w'"),
        ({"strata": "region"}, "design column 'region'"),
        ({"where": {"aware": "maybe"}}, "no answers in the base"),
        ({"ci": "exact"}, "unknown CI method 'exact'"),
        ({"level": 95}, "level must be between 0 and 1"),
    ],
)
def test_bad_arguments_raise_clear_errors(weighted, kwargs, message):
    frame, _ = weighted
    arguments = {"outcome": "felt", "weight": "weight", **kwargs}
    with pytest.raises(AnalysisInputError, match=message):
        estimate(frame, **arguments)
