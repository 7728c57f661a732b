"""Pure functions from result tables to plotly.js figures (``{"data": [...], "layout": {...}}``
as plain lists and dicts), each with 95% CI error bars.

Plain data, not ``plotly.graph_objects``: building and validating a ``go.Figure`` was most of
a results page's time, and the browser's plotly.js reads the same JSON either way. A
suppressed cell gets no bar, only its GSS symbol as text; the data table beside each chart
carries the same numbers (a chart alone is not accessible).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

BLUE, BLACK, RED, GREY = "#1d70b8", "#0b0c0c", "#d4351c", "#505a5f"
FONT = {"family": "Arial, sans-serif", "color": BLACK}
Figure = dict[str, Any]


def _numbers(values: pd.Series) -> list[float | None]:
    """A column as JSON numbers, a missing value as ``None`` (plotly.js leaves a gap)."""
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]


def _figure(data: list[dict], title: str, height: int, shapes: list[dict] = (), **axes) -> Figure:
    return {
        "data": data,
        "layout": {
            "title": {"text": title, "font": {"size": 15}},
            "height": height,
            "margin": {"l": 10, "r": 40, "t": 50, "b": 40},
            "plot_bgcolor": "#fff",
            "font": FONT,
            "showlegend": False,
            "shapes": list(shapes),
            **axes,
        },
    }


def _error(high: pd.Series, centre: pd.Series, low: pd.Series) -> dict:
    """Asymmetric error bars; none where the interval is missing."""
    return {
        "type": "data",
        "symmetric": False,
        "array": _numbers((high.astype(float) - centre.astype(float)).fillna(0)),
        "arrayminus": _numbers((centre.astype(float) - low.astype(float)).fillna(0)),
        "color": BLACK,
    }


def _line(axis: str, at: float) -> dict:
    """A thin black line across the plot at ``at`` on ``axis`` ("x": vertical, "y": horizontal)."""
    other = "y" if axis == "x" else "x"
    return {
        "type": "line",
        f"{axis}0": at,
        f"{axis}1": at,
        f"{other}0": 0,
        f"{other}1": 1,
        f"{other}ref": "paper",
        "line": {"color": BLACK, "width": 1},
    }


def indicator_figure(rows: pd.DataFrame, title: str) -> Figure:
    """``rows``: ``label, percent, ci_low, ci_high, symbol`` (percentages, NaN when hidden)."""
    percent = rows["percent"].astype(float)
    shown = percent.notna()
    bar = {
        "type": "bar",
        "orientation": "h",
        "y": list(rows["label"]),
        "x": _numbers(percent.where(shown, 0)),
        "marker": {"color": BLUE},
        "error_x": _error(rows["ci_high"], percent, rows["ci_low"]),
        "text": [
            f"{p:g}% {s or ''}".strip() if ok else (s or "[x]")
            for p, s, ok in zip(percent, rows["symbol"], shown, strict=True)
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "hoverinfo": "skip",
    }
    return _figure(
        [bar],
        title,
        90 + 34 * len(rows),
        xaxis={"range": [0, 105], "title": {"text": "%"}},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def difference_figure(rows: pd.DataFrame, title: str) -> Figure:
    """``rows``: ``label, difference, ci_low, ci_high, flagged`` (percentage points): each
    group against the rest, flagged differences in red, a line at no difference."""
    flagged = rows["flagged"].astype(bool)
    points = {
        "type": "scatter",
        "mode": "markers",
        "y": list(rows["label"]),
        "x": _numbers(rows["difference"].astype(float)),
        "marker": {
            "color": [RED if f else GREY for f in flagged],
            "size": 9,
            "symbol": ["diamond" if f else "circle" for f in flagged],
        },
        "error_x": _error(rows["ci_high"], rows["difference"], rows["ci_low"]),
        "hoverinfo": "skip",
    }
    return _figure(
        [points],
        title,
        90 + 28 * len(rows),
        shapes=[_line("x", 0)],
        xaxis={"title": {"text": "Difference from everyone else (percentage points)"}, "zeroline": False},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def trend_figure(rows: pd.DataFrame, title: str) -> Figure:
    """``rows``: ``wave_name, percent, ci_low, ci_high`` in time order."""
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": list(rows["wave_name"]),
        "y": _numbers(rows["percent"].astype(float)),
        "line": {"color": BLUE},
        "error_y": _error(rows["ci_high"], rows["percent"], rows["ci_low"]),
        "hoverinfo": "skip",
    }
    return _figure(
        [line],
        title,
        320,
        yaxis={"range": [0, 100], "title": {"text": "%"}},
        xaxis={"type": "category", "automargin": True},
    )


def funnel_figure(panel: dict, title: str) -> Figure:
    """``panel``: a stored funnel (``centre``; ``limits``: ``n_eff`` and each level's
    ``lower``/``upper``, proportions; ``rows``: ``label, estimate, n_eff, outside``)."""
    curves = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": panel["limits"]["n_eff"],
            "y": [v * 100 for v in bound],
            "hoverinfo": "skip",
            "line": {"color": GREY, "dash": dash, "width": 1},
        }
        for level, dash in zip(panel["limits"]["levels"], ("dash", "dot"), strict=True)
        for bound in (level["lower"], level["upper"])
    ]
    rows = panel["rows"]
    points = {
        "type": "scatter",
        "mode": "markers+text",
        "x": [r["n_eff"] for r in rows],
        "y": [r["estimate"] * 100 for r in rows],
        "text": [r["label"] if r["outside"] else "" for r in rows],
        "textposition": "top center",
        "marker": {"size": 9, "color": [RED if r["outside"] else BLUE for r in rows]},
        "hoverinfo": "skip",
    }
    return _figure(
        [*curves, points],
        title,
        380,
        shapes=[_line("y", panel["centre"] * 100)],
        xaxis={"title": {"text": "Effective sample size"}},
        yaxis={"title": {"text": "%"}, "range": [0, 100]},
    )


def weights_figure(histogram: dict[str, list[float]]) -> Figure:
    """The distribution of final weights from stored bins (``edges``, ``counts``)."""
    edges, counts = histogram["edges"], histogram["counts"]
    bars = {
        "type": "bar",
        "x": [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)],
        "y": counts,
        "width": [b - a for a, b in zip(edges, edges[1:], strict=False)],
        "marker": {"color": BLUE},
        "hoverinfo": "skip",
    }
    return _figure(
        [bars],
        "Distribution of the weights",
        300,
        xaxis={"title": {"text": "Weight"}},
        yaxis={"title": {"text": "Respondents"}},
    )
