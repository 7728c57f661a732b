"""What the release and results templates need, shaped from stored or computed tables."""

from __future__ import annotations

import json

import pandas as pd

from survey_app.exceptions import SurveyError
from survey_app.models import Release, Wave
from survey_app.results.charts import indicator_figure
from survey_app.services import results, weighting


def sections(table: pd.DataFrame) -> list[dict]:
    """Per breakdown, per indicator: the rows (label, percent, CI, n, symbol) and a chart."""
    out = []
    for breakdown, by in table.groupby("breakdown", sort=False):
        title = by["breakdown_title"].iloc[0] if breakdown else "All respondents"
        panels = []
        for _, rows in by.groupby("indicator", sort=False):
            rows = rows.rename(columns={"group_label": "label"}).assign(
                shown=lambda t: t[["percent", "ci_low", "ci_high", "n_rounded"]].notna().all(axis=1))
            figure = indicator_figure(rows, rows["name"].iloc[0])
            panels.append({"name": rows["name"].iloc[0], "rows": rows.to_dict("records"),
                           "figure": json.dumps(figure.to_plotly_json(),
                                                cls=_PlotlyEncoder)})
        out.append({"key": breakdown or "all", "title": title, "panels": panels})
    return out


class _PlotlyEncoder(json.JSONEncoder):
    def default(self, o):
        return o.tolist() if hasattr(o, "tolist") else str(o)


def headlines(table: pd.DataFrame) -> list[dict]:
    """The overall rows, each with its plain sentence."""
    rows = table[table["breakdown"] == ""].to_dict("records")
    for row in rows:
        row["sentence"] = (
            f"{row['name']}: {row['percent']:g}% (95% CI {row['ci_low']:g}% to "
            f"{row['ci_high']:g}%), based on about {int(row['n_rounded']):,} respondents."
            if pd.notna(row["percent"]) and pd.notna(row["ci_low"]) and pd.notna(row["ci_high"])
            else f"{row['name']}: not shown ({row['symbol']}).")
    return rows


def release_context(release: Release) -> dict:
    table = pd.DataFrame(release.tables["indicators"])
    return {"release": release, "headlines": headlines(table), "sections": sections(table)}


def wave_context(wave: Wave) -> dict:
    """The analyst's view of a wave: its latest weight run and, if there is one, the results
    at full precision (hidden cells blank) with the same sections as a release."""
    run = weighting.latest_run(wave)
    context = {"wave": wave, "run": run, "results": None, "problem": None}
    if run is None:
        return context
    try:
        outcome = results.wave_results(wave, run)
    except SurveyError as error:
        return {**context, "problem": error.message}
    table = outcome.table.assign(
        breakdown_title=lambda t: t["breakdown"].map(outcome.titles).fillna(""),
        group_label=lambda t: [outcome.label(b, g) for b, g in zip(t["breakdown"], t["group"],
                                                                      strict=True)],
        percent=lambda t: t["estimate"] * 100, ci_low=lambda t: t["ci_low"] * 100,
        ci_high=lambda t: t["ci_high"] * 100, n_rounded=lambda t: t["n"])
    return {**context, "results": outcome, "headlines": headlines(table.round(
        {"percent": 1, "ci_low": 1, "ci_high": 1})), "sections": sections(table.round(
        {"percent": 1, "ci_low": 1, "ci_high": 1})), "table": table}
