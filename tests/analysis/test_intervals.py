"""Confidence intervals at the edges: p of 0 or 1 gives the same footing to every method."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.intervals import confidence_interval


@pytest.mark.parametrize("df", [1, 2, 30])
def test_zero_of_twelve_gives_sensible_intervals_whatever_the_degrees_of_freedom(df):
    p, se = np.array([0.0]), np.array([0.0])
    clopper_pearson_high = stats.beta.ppf(0.975, 1, 12)  # 0 successes of 12
    z = stats.norm.ppf(0.975)
    for method, high in (
        ("beta", clopper_pearson_high),
        ("logit", clopper_pearson_high),
        ("wilson", z**2 / (12 + z**2)),
    ):
        low, up = confidence_interval(method, p, se, df, 0.95, n_rows=200, n_base=12)
        assert low[0] == 0 and up[0] == pytest.approx(high, rel=1e-9), method
        assert up[0] < 0.3, method  # one degree of freedom once gave [0, 0.93] for Wilson


def test_all_of_twelve_mirrors_none_of_twelve():
    for method in ("beta", "logit", "wilson"):
        none = confidence_interval(method, np.array([0.0]), np.array([0.0]), 1, 0.95, 200, 12)
        every = confidence_interval(method, np.array([1.0]), np.array([0.0]), 1, 0.95, 200, 12)
        assert every[0][0] == pytest.approx(1 - none[1][0]) and every[1][0] == 1, method


def test_inside_the_edges_wilson_still_uses_the_design_degrees_of_freedom():
    p, se = np.array([0.3]), np.array([0.05])
    narrow = confidence_interval("wilson", p, se, 60, 0.95, 500, 100)
    wide = confidence_interval("wilson", p, se, 3, 0.95, 500, 100)
    assert wide[1][0] - wide[0][0] > narrow[1][0] - narrow[0][0]
