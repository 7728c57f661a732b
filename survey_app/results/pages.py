"""What the release and results templates need, shaped from stored or computed tables.

Release pages read the release's stored (published-precision) tables; the analyst's wave page
computes the same shapes at full precision. Both go through the same functions, so a number
and its chart always come from one row.
"""

from __future__ import annotations

import json
from typing import Any

from survey_app import jobs
from survey_app.models import Release, ReleaseState, Wave
from survey_app.results import charts
from survey_app.services import snapshots, weighting

PERCENT_COLUMNS = ["percent", "ci_low", "ci_high"]
CHANGE_COLUMNS = ["change", "change_ci_low", "change_ci_high"]
JOB_TITLES = {"weigh": "Weighing", "draft": "Preparing a draft release", "publish": "Publishing"}


def figure_json(figure: charts.Figure) -> str:
    return json.dumps(figure, separators=(",", ":"), allow_nan=False)


Row = dict[str, Any]


def _grouped(rows: list[Row], key: str) -> list[tuple[Any, list[Row]]]:
    """Rows grouped by ``key``, groups in the order they first appear (tables are stored in
    questionnaire order)."""
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return list(groups.items())


def _present(value: Any) -> bool:
    return value is not None and value == value  # stored as None; NaN fails the second test


def sections(table: list[Row]) -> list[dict]:
    """Per breakdown, per indicator: the rows (label, percent, CI, n, symbol) and a chart."""
    out = []
    for breakdown, by in _grouped(table, "breakdown"):
        panels = []
        for _, rows in _grouped(by, "indicator"):
            rows = [
                {
                    **row,
                    "label": row["group_label"],
                    "shown": _present(row["percent"]) and _present(row["n_rounded"]),
                }
                for row in rows
            ]
            name = rows[0]["name"]
            panels.append(
                {"name": name, "rows": rows, "figure": figure_json(charts.indicator_figure(rows, name))}
            )
        title = by[0]["breakdown_title"] if breakdown else "All respondents"
        out.append({"key": breakdown or "all", "title": title, "panels": panels})
    return out


def headlines(table: list[Row]) -> list[Row]:
    """The overall rows, each with its plain sentence."""
    rows = [dict(row) for row in table if row["breakdown"] == ""]
    for row in rows:
        interval = (
            f"95% CI {row['ci_low']:g}% to {row['ci_high']:g}%"
            if _present(row["ci_low"]) and _present(row["ci_high"])
            else "no confidence interval: too few schools in the design"
        )
        row["sentence"] = (
            f"{row['name']}: {row['percent']:g}% ({interval}), based on about "
            f"{int(row['n_rounded']):,} respondents."
            if _present(row["percent"]) and _present(row["n_rounded"])
            else f"{row['name']}: not shown ({row['symbol'] or '[x]'})."
        )
    return rows


def equality_panels(equality: list[Row], table: list[Row]) -> list[dict]:
    """Per indicator: every group against the rest (points), with the group's own figure."""
    own = {(r["indicator"], r["breakdown"], r["group"]): r["percent"] for r in table}
    panels = []
    for _, rows in _grouped(equality, "indicator"):
        rows = [
            {
                **row,
                "label": f"{row['breakdown_title']}: {row['group_label']}",
                "percent": own.get((row["indicator"], row["breakdown"], row["group"])),
            }
            for row in rows
        ]
        name = rows[0]["name"]
        panels.append(
            {
                "name": name,
                "rows": rows,
                "flagged": [row["label"] for row in rows if row["flagged"]],
                "figure": figure_json(charts.difference_figure(rows, name)),
            }
        )
    return panels


def trend_panels(trend: list[Row]) -> list[dict]:
    """Per indicator: its figure in each wave and the change since the wave before."""
    return [
        {
            "name": rows[0]["name"],
            "rows": rows,
            "figure": figure_json(charts.trend_figure(rows, rows[0]["name"])),
        }
        for _, rows in _grouped(trend, "indicator")
    ]


def funnel_panels(stored: list[dict]) -> list[dict]:
    """The snapshot's funnel plots, with the areas outside the limits named."""
    return [
        {
            **panel,
            "outside": [row["label"] for row in panel["rows"] if row["outside"]],
            "figure": figure_json(charts.funnel_figure(panel, panel["name"])),
        }
        for panel in stored
    ]


def release_context(release: Release) -> dict:
    """A release page's content. Published tables never change (refused in the ORM), so their
    charts and sentences are built once per process and served from memory after that."""
    if release.state is ReleaseState.DRAFT:
        return {"release": release, **_release_parts(release.tables)}
    return {"release": release, **_published_parts(release)}


def _release_parts(tables: dict) -> dict:
    table = tables["indicators"]
    return {
        "headlines": headlines(table),
        "sections": sections(table),
        "equality": equality_panels(tables.get("equality", []), table),
        "trends": trend_panels(tables.get("trends", [])),
    }


_PUBLISHED: dict[tuple[int, str], dict] = {}
PUBLISHED_CACHE_SIZE = 32


def _published_parts(release: Release) -> dict:
    """Built on a worker's first view of the release; its (deferred) tables are not even read
    after that."""
    key = (release.id, release.checksum)
    if key not in _PUBLISHED:
        if len(_PUBLISHED) >= PUBLISHED_CACHE_SIZE:
            _PUBLISHED.pop(next(iter(_PUBLISHED)))
        _PUBLISHED[key] = _release_parts(release.tables)
    return _PUBLISHED[key]


def _scaled(row: Row, columns: list[str], by: float = 100, places: int = 1) -> None:
    """Proportions as percentages (or p-values) at the analyst's precision, in place."""
    for column in columns:
        if _present(row.get(column)):
            row[column] = round(row[column] * by, places)


def _analyst_rows(content: dict, name: str, percents: list[str], p_values: list[str] = ()) -> list[Row]:
    """A snapshot's stored rows labelled for people and in percentages: plain Python over a few
    thousand rows, whatever the size of the wave."""
    titles, labels = content["titles"], content["labels"]
    out = []
    for stored in content[name]:
        row = dict(stored)
        breakdown = row.get("breakdown", "")
        row["breakdown_title"] = titles.get(breakdown, "")
        row["group_label"] = (
            labels.get(breakdown, {}).get(row.get("group"), row.get("group")) if breakdown else "All"
        )
        if "estimate" in row and name != "equality":
            row["percent"], row["n_rounded"] = row["estimate"], row["n"]
        _scaled(row, percents)
        _scaled(row, list(p_values), by=1, places=3)
        out.append(row)
    return out


def wave_context(wave: Wave) -> dict:
    """The analyst's view of a wave: the newest weighting, the job in hand, and the last good
    results snapshot at full precision (hidden cells blank) in the shapes of a release, with how
    many responses arrived since. Read from storage: nothing is estimated here."""
    snapshot = snapshots.latest(wave)
    context = {
        "wave": wave,
        "run": weighting.latest_run(wave),
        "job": jobs.latest(wave),
        "snapshot": snapshot,
        "results": None,
        "job_titles": JOB_TITLES,
    }
    if snapshot is None:
        return context
    content = snapshot.content
    shown = _analyst_rows(content, "table", PERCENT_COLUMNS)
    equality = _analyst_rows(content, "equality", ["difference", "ci_low", "ci_high"], ["p_value", "p_holm"])
    trend = _analyst_rows(content, "trends", PERCENT_COLUMNS + CHANGE_COLUMNS, ["change_p"])
    return {
        **context,
        "results": snapshot,
        "good_run": snapshot.weight_run,
        "arrived": snapshots.arrived_since(snapshot),
        "headlines": headlines(shown),
        "sections": sections(shown),
        "equality": equality_panels(equality, shown),
        "trends": trend_panels(trend),
        "funnels": funnel_panels(content["funnels"]),
        "margins": content["margins"],
        "weights_figure": figure_json(charts.weights_figure(content["weights_histogram"])),
    }
