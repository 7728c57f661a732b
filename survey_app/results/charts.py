"""Pure functions from result tables to plotly.js figures (``{"data": [...], "layout": {...}}``
as plain lists and dicts), each with 95% CI error bars.

Plain data, not ``plotly.graph_objects``: building and validating a ``go.Figure`` was most of
a results page's time, and the browser's plotly.js reads the same JSON either way. A
suppressed cell gets no bar, only its GSS symbol as text; the data table beside each chart
carries the same numbers (a chart alone is not accessible).
"""

from __future__ import annotations

from typing import Any

BLUE, BLACK, RED, GREY = "#1d70b8", "#0b0c0c", "#d4351c", "#505a5f"
FONT = {"family": "Arial, sans-serif", "color": BLACK}
Figure = dict[str, Any]


Row = dict[str, Any]


def _number(value: Any) -> float | None:
    """A figure as a JSON number, a missing one (``None`` or NaN) as ``None``: plotly.js leaves
    a gap."""
    return None if value is None or value != value else float(value)


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


def _error(rows: list[Row], centre: str, low: str = "ci_low", high: str = "ci_high") -> dict:
    """Asymmetric error bars around ``centre``; none where the interval is missing."""

    def arm(a: str, b: str) -> list[float]:
        return [
            (_number(row[a]) - _number(row[b]))
            if _number(row[a]) is not None and _number(row[b]) is not None
            else 0
            for row in rows
        ]

    return {
        "type": "data",
        "symmetric": False,
        "array": arm(high, centre),
        "arrayminus": arm(centre, low),
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


def indicator_figure(rows: list[Row], title: str) -> Figure:
    """``rows``: ``label, percent, ci_low, ci_high, symbol`` (percentages, missing when hidden)."""
    percents = [_number(row["percent"]) for row in rows]
    bar = {
        "type": "bar",
        "orientation": "h",
        "y": [row["label"] for row in rows],
        "x": [p or 0 for p in percents],
        "marker": {"color": BLUE},
        "error_x": _error(rows, "percent"),
        "text": [
            f"{p:g}% {row['symbol'] or ''}".strip() if p is not None else (row["symbol"] or "[x]")
            for p, row in zip(percents, rows, strict=True)
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


def difference_figure(rows: list[Row], title: str) -> Figure:
    """``rows``: ``label, difference, ci_low, ci_high, flagged`` (percentage points): each
    group against the rest, flagged differences in red, a line at no difference."""
    flagged = [bool(row["flagged"]) for row in rows]
    points = {
        "type": "scatter",
        "mode": "markers",
        "y": [row["label"] for row in rows],
        "x": [_number(row["difference"]) for row in rows],
        "marker": {
            "color": [RED if f else GREY for f in flagged],
            "size": 9,
            "symbol": ["diamond" if f else "circle" for f in flagged],
        },
        "error_x": _error(rows, "difference"),
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


def trend_figure(rows: list[Row], title: str) -> Figure:
    """``rows``: ``wave_name, percent, ci_low, ci_high`` in time order."""
    line = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [row["wave_name"] for row in rows],
        "y": [_number(row["percent"]) for row in rows],
        "line": {"color": BLUE},
        "error_y": _error(rows, "percent"),
        "hoverinfo": "skip",
    }
    return _figure(
        [line],
        title,
        320,
        yaxis={"range": [0, 100], "title": {"text": "%"}, "automargin": True},
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
        yaxis={"title": {"text": "%"}, "range": [0, 100], "automargin": True},
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
        yaxis={"title": {"text": "Respondents"}, "automargin": True},
    )
