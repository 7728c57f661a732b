"""Charts are plain plotly.js data made from stored rows: JSON with no NaN, a hidden figure shown
by its symbol, funnel limits and the weights histogram drawn from what the snapshot stored."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis import classify_areas, funnel_curves
from survey_app.results import charts
from survey_app.services import snapshots


def _json(figure: dict) -> dict:
    return json.loads(json.dumps(figure, allow_nan=False))  # plotly.js reads strict JSON


def test_a_hidden_figure_gets_its_symbol_and_no_bar_and_a_missing_interval_no_error_bar():
    rows = [
        {"label": "Boys", "percent": 41.0, "ci_low": 38.0, "ci_high": 44.0, "symbol": ""},
        {"label": "Girls", "percent": None, "ci_low": None, "ci_high": None, "symbol": "[c]"},
        {"label": "Year 7", "percent": 12.0, "ci_low": float("nan"), "ci_high": None, "symbol": "[u]"},
    ]
    bar = _json(charts.indicator_figure(rows, "Feel more safe"))["data"][0]
    assert bar["x"] == [41.0, 0, 12.0]
    assert bar["text"] == ["41%", "[c]", "12% [u]"]
    assert bar["error_x"]["array"] == [3.0, 0, 0] and bar["error_x"]["arrayminus"] == [3.0, 0, 0]


def test_the_funnel_is_drawn_from_stored_limits_and_names_only_the_areas_outside():
    areas = pd.DataFrame(
        {
            "group_label": ["Camden", "Croydon", "Ealing"],
            "estimate": [0.41, 0.62, 0.40],
            "n_eff": [400.0, 500.0, 80.0],
        }
    )
    classified = classify_areas(areas, 0.41).rename(columns={"group_label": "label"})
    panel = {
        "name": "Feel more safe",
        "centre": 0.41,
        "rows": classified[["label", "estimate", "n_eff", "outside"]].to_dict("records"),
        "limits": funnel_curves(0.41, classified["n_eff"].to_numpy()),
    }
    figure = _json(charts.funnel_figure(panel, panel["name"]))
    curves, points = figure["data"][:-1], figure["data"][-1]
    assert len(curves) == 4  # lower and upper at 95% and 99.8%
    assert all(len(c["x"]) == len(c["y"]) == len(panel["limits"]["n_eff"]) for c in curves)
    low95, high95 = curves[0]["y"], curves[1]["y"]
    assert all(lo < 41 < hi for lo, hi in zip(low95, high95, strict=True))
    assert points["text"] == ["", "Croydon", ""]
    assert figure["layout"]["shapes"][0]["y0"] == 41.0


def test_the_weights_histogram_carries_bins_not_weights():
    weights = np.random.default_rng(3).lognormal(0, 0.3, 50_000)
    stored = snapshots.histogram(pd.Series(weights))
    bars = _json(charts.weights_figure(stored))["data"][0]
    assert len(bars["x"]) == snapshots.HISTOGRAM_BINS and sum(bars["y"]) == 50_000
    assert len(json.dumps(bars)) < 5_000  # not 50,000 numbers
