"""Results snapshots: a converged weight run's every figure, computed once and stored
(DESIGN §8, "flow of a number").

The weighing job builds the snapshot right after the run; the analyst's pages, drafts and their
files read it. Responses that arrive later change nothing here: the page says how many arrived
since, and weighing again makes a new run with a new snapshot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from analysis import ANALYST_COLUMNS, EQUALITY_COLUMNS, classify_areas, funnel_curves, wave_changes
from survey_app.extensions import db
from survey_app.models import Release, ReleaseState, ResultsSnapshot, StaffUser, Wave, WeightRun
from survey_app.services import datasets, results, weighting
from survey_app.services.records import records

HISTOGRAM_BINS = 40
Progress = Callable[[int, str], None]  # (percent done, what it is doing)


def _quiet(percent: int, stage: str) -> None:
    """No one is watching (a test, the demo)."""


def weigh(
    wave: Wave,
    actor: StaffUser | None,
    dataset: datasets.Dataset | None = None,
    progress: Progress = _quiet,
    on_weighed: Callable[[WeightRun], object] = lambda run: None,
    **settings: object,
) -> WeightRun:
    """Weighs the wave and, if the weighting converged, stores its results snapshot.
    ``progress`` hears each stage (the weighing job commits there, so a run is kept, with what
    ``on_weighed`` added for it, even if its results then fail)."""
    progress(5, "reading the responses")
    dataset = dataset or datasets.load(wave)
    progress(30, "weighting to the population margins")
    run = weighting.run(wave, actor, dataset=dataset, **settings)
    on_weighed(run)
    progress(50, "weighting stored")
    if run.converged:
        build(run, dataset, progress)
    return run


def build(
    run: WeightRun,
    dataset: datasets.Dataset | None = None,
    progress: Progress = _quiet,
) -> ResultsSnapshot:
    """Every table the analyst sees for ``run`` (a converged run of its wave), stored with it."""
    progress(55, "estimating every indicator and breakdown")
    outcome = results.wave_results(run.wave, run, dataset)
    progress(85, "comparing with earlier waves")
    trend = analyst_trends(run.wave, outcome)
    snapshot = ResultsSnapshot(
        weight_run=run,
        content={
            "table": records(outcome.table),
            "equality": records(outcome.equality),
            "trends": records(trend),
            "margins": records(weighting.margin_shares(outcome.frame, run)),
            "funnels": funnels(outcome, results.AREA),
            "weights_histogram": histogram(outcome.frame["weight"].dropna()),
            "titles": outcome.titles,
            "labels": outcome.labels,
        },
    )
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def funnels(outcome: results.WaveResults, area: str) -> list[dict]:
    """Per indicator, the shown areas against the overall figure with the control limits to
    draw (analyst only: a funnel plot's axis is the effective base, which no release shows)."""
    table = outcome.labelled(outcome.table)
    panels = []
    for indicator, rows in table.groupby("indicator", sort=False):
        overall = rows.loc[rows["breakdown"] == "", "estimate"]
        areas = rows[(rows["breakdown"] == area) & rows["estimate"].notna() & rows["n_eff"].notna()]
        if areas.empty or overall.isna().all():
            continue
        centre = float(overall.iloc[0])
        classified = classify_areas(areas, centre).rename(columns={"group_label": "label"})
        panels.append(
            {
                "indicator": indicator,
                "name": rows["name"].iloc[0],
                "centre": centre,
                "rows": records(classified[["label", "estimate", "n_eff", "outside"]]),
                "limits": funnel_curves(centre, classified["n_eff"].to_numpy()),
            }
        )
    return panels


def histogram(weights: pd.Series) -> dict[str, list[float]]:
    """Bin edges and counts: the page draws the distribution without shipping every weight."""
    counts, edges = np.histogram(weights.to_numpy(float), bins=HISTOGRAM_BINS)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def latest(wave: Wave) -> ResultsSnapshot | None:
    """The snapshot of the wave's newest converged run that has one: the last good results."""
    return db.session.scalar(
        select(ResultsSnapshot)
        .join(WeightRun)
        .where(WeightRun.wave_id == wave.id, WeightRun.converged.is_(True))
        .options(undefer(ResultsSnapshot.content))
        .order_by(WeightRun.id.desc())
        .limit(1)
    )


def of_run(run_id: int) -> ResultsSnapshot | None:
    return db.session.scalar(
        select(ResultsSnapshot)
        .where(ResultsSnapshot.weight_run_id == run_id)
        .options(undefer(ResultsSnapshot.content))
    )


def outcome(snapshot: ResultsSnapshot) -> results.WaveResults:
    """The stored tables in the shape the pages and releases read."""
    content, run = snapshot.content, snapshot.weight_run
    return results.WaveResults(
        wave=run.wave,
        weight_run=run,
        table=frame_of(content["table"], ANALYST_COLUMNS),
        equality=frame_of(content["equality"], EQUALITY_COLUMNS),
        titles=content["titles"],
        labels=content["labels"],
    )


def frame_of(rows: list[dict], columns: list[str] | None = None) -> pd.DataFrame:
    """Stored records back as a table, ``None`` as NaN in number columns (``columns``: those
    of an empty table, which records cannot carry)."""
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows).fillna(np.nan)


def arrived_since(snapshot: ResultsSnapshot) -> int:
    """Responses counted in the wave now that its snapshot's run did not weigh: those sent
    from the run's newest day on, less the ones it weighed from that day (a range of the
    wave's index by day, not a count of a million responses)."""
    run = snapshot.weight_run
    if run.last_day is None:  # a run from before runs kept their newest day
        return max(datasets.counted_responses(run.wave) - run.responses, 0)
    return max(datasets.counted_responses(run.wave, since=run.last_day) - run.on_last_day, 0)


def analyst_trends(wave: Wave, current: results.WaveResults) -> pd.DataFrame:
    """Each indicator's overall figure in every earlier wave of the questionnaire (its latest
    snapshot) and in this run, with the change since the wave before; ``published`` says
    whether the wave has a published release (the analyst's view shows both)."""
    tables = []
    for other in results.comparable_waves(wave):
        if other.id == wave.id:
            table = current.table
        else:
            stored = latest(other)
            if stored is None:
                continue
            table = frame_of(stored.content["table"])
        tables.append(
            table[table["breakdown"] == ""].assign(
                wave_id=other.id,
                wave_name=other.name,
                fieldwork=other.opens_at.strftime("%B %Y"),
                published=has_published_release(other),
            )
        )
    if not tables:
        return pd.DataFrame()
    stacked = pd.concat(tables, ignore_index=True)
    return pd.concat(
        [wave_changes(rows) for _, rows in stacked.groupby("indicator", sort=False)], ignore_index=True
    )


def has_published_release(wave: Wave) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(Release.id)).where(
                Release.wave_id == wave.id, Release.state == ReleaseState.PUBLISHED
            )
        )
    )
