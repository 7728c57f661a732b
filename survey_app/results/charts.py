"""Pure functions from result tables to plotly figures: bars with 95% CI error bars.

A suppressed cell gets no bar, only its GSS symbol as text; the data table beside each chart
carries the same numbers (a chart alone is not accessible).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def indicator_figure(rows: pd.DataFrame, title: str) -> go.Figure:
    """``rows``: ``label, percent, ci_low, ci_high, symbol`` (percentages, NaN when hidden)."""
    shown = rows["percent"].notna()
    figure = go.Figure(go.Bar(
        y=rows["label"], x=rows["percent"].where(shown, 0), orientation="h",
        marker_color="#1d70b8",
        error_x={"type": "data", "symmetric": False,
                 "array": (rows["ci_high"] - rows["percent"]).fillna(0),
                 "arrayminus": (rows["percent"] - rows["ci_low"]).fillna(0), "color": "#0b0c0c"},
        text=[f"{p:g}% {s}".strip() if ok else s for p, s, ok in
              zip(rows["percent"], rows["symbol"], shown, strict=True)],
        textposition="outside", cliponaxis=False, hoverinfo="skip"))
    figure.update_layout(
        title={"text": title, "font": {"size": 15}}, height=90 + 34 * len(rows),
        margin={"l": 10, "r": 40, "t": 50, "b": 40}, xaxis={"range": [0, 105], "title": "%"},
        yaxis={"autorange": "reversed", "automargin": True}, plot_bgcolor="#fff",
        font={"family": "Arial, sans-serif", "color": "#0b0c0c"})
    return figure
