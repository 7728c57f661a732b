"""Pure functions from result tables to plotly figures, each with 95% CI error bars.

A suppressed cell gets no bar, only its GSS symbol as text; the data table beside each chart
carries the same numbers (a chart alone is not accessible).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis import funnel

BLUE, BLACK, RED, GREY = "#1d70b8", "#0b0c0c", "#d4351c", "#505a5f"
FONT = {"family": "Arial, sans-serif", "color": BLACK}


def _layout(figure: go.Figure, title: str, height: int, **axes) -> go.Figure:
    figure.update_layout(
        title={"text": title, "font": {"size": 15}},
        height=height,
        template=None,
        margin={"l": 10, "r": 40, "t": 50, "b": 40},
        plot_bgcolor="#fff",
        font=FONT,
        showlegend=False,
        **axes,
    )
    return figure


def _error(high: pd.Series, centre: pd.Series, low: pd.Series) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": (high - centre).fillna(0),
        "arrayminus": (centre - low).fillna(0),
        "color": BLACK,
    }


def indicator_figure(rows: pd.DataFrame, title: str) -> go.Figure:
    """``rows``: ``label, percent, ci_low, ci_high, symbol`` (percentages, NaN when hidden)."""
    shown = rows["percent"].notna()
    figure = go.Figure(
        go.Bar(
            y=rows["label"],
            x=rows["percent"].where(shown, 0),
            orientation="h",
            marker_color=BLUE,
            error_x=_error(rows["ci_high"], rows["percent"], rows["ci_low"]),
            text=[
                f"{p:g}% {s}".strip() if ok else s
                for p, s, ok in zip(rows["percent"], rows["symbol"], shown, strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hoverinfo="skip",
        )
    )
    return _layout(
        figure,
        title,
        90 + 34 * len(rows),
        xaxis={"range": [0, 105], "title": "%"},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def difference_figure(rows: pd.DataFrame, title: str) -> go.Figure:
    """``rows``: ``label, difference, ci_low, ci_high, flagged`` (percentage points): each
    group against the rest, flagged differences in red, a line at no difference."""
    colours = np.where(rows["flagged"].astype(bool), RED, GREY)
    figure = go.Figure(
        go.Scatter(
            y=rows["label"],
            x=rows["difference"],
            mode="markers",
            marker={"color": colours, "size": 9, "symbol": np.where(rows["flagged"], "diamond", "circle")},
            error_x=_error(rows["ci_high"], rows["difference"], rows["ci_low"]),
            hoverinfo="skip",
        )
    )
    figure.add_vline(x=0, line_color=BLACK, line_width=1)
    return _layout(
        figure,
        title,
        90 + 28 * len(rows),
        xaxis={"title": "Difference from everyone else (percentage points)", "zeroline": False},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def trend_figure(rows: pd.DataFrame, title: str) -> go.Figure:
    """``rows``: ``wave_name, percent, ci_low, ci_high`` in time order."""
    figure = go.Figure(
        go.Scatter(
            x=rows["wave_name"],
            y=rows["percent"],
            mode="lines+markers",
            line={"color": BLUE},
            error_y=_error(rows["ci_high"], rows["percent"], rows["ci_low"]),
            hoverinfo="skip",
        )
    )
    return _layout(
        figure,
        title,
        320,
        yaxis={"range": [0, 100], "title": "%"},
        xaxis={"type": "category", "automargin": True},
    )


def funnel_figure(areas: pd.DataFrame, centre: float, title: str) -> go.Figure:
    """``areas``: ``label, estimate, n_eff, outside`` (proportions); ``centre`` the overall
    proportion. Control limits at 95% and 99.8% around it, areas outside them in red."""
    top = max(float(areas["n_eff"].max()) * 1.1, 10.0)
    grid = np.linspace(max(float(areas["n_eff"].min()) * 0.8, 5.0), top, 120)
    figure = go.Figure()
    for level, dash in zip(funnel.LEVELS, ("dash", "dot"), strict=True):
        for bound in funnel.limits(centre, grid, level):
            figure.add_trace(
                go.Scatter(
                    x=grid,
                    y=bound * 100,
                    mode="lines",
                    hoverinfo="skip",
                    line={"color": GREY, "dash": dash, "width": 1},
                )
            )
    figure.add_hline(y=centre * 100, line_color=BLACK, line_width=1)
    figure.add_trace(
        go.Scatter(
            x=areas["n_eff"],
            y=areas["estimate"] * 100,
            mode="markers+text",
            hoverinfo="skip",
            text=np.where(areas["outside"] != "", areas["label"], ""),
            textposition="top center",
            marker={"size": 9, "color": np.where(areas["outside"] != "", RED, BLUE)},
        )
    )
    return _layout(
        figure, title, 380, xaxis={"title": "Effective sample size"}, yaxis={"title": "%", "range": [0, 100]}
    )


def weights_figure(weights: pd.Series) -> go.Figure:
    """The distribution of final weights (a histogram)."""
    figure = go.Figure(go.Histogram(x=weights, nbinsx=40, marker_color=BLUE, hoverinfo="skip"))
    return _layout(
        figure, "Distribution of the weights", 300, xaxis={"title": "Weight"}, yaxis={"title": "Respondents"}
    )
