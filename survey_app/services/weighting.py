"""Weighting a wave to its population margins and storing the run (DESIGN §7.1, §8).

Respondents who did not give a weighting variable ("prefer not to say", or skipped) cannot be
matched to a population category. They keep their own "not stated" category whose target is
their share of the sample, and the population targets of the stated categories are scaled to
the rest: nobody is dropped, and the stated categories carry the population's proportions.
The margins used are stored with the run, so this adjustment is visible in every release.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from sqlalchemy import select

from analysis import AnalysisInputError, codes_of, rake
from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import PopulationMargin, StaffUser, Wave, WeightRun
from survey_app.services import datasets
from survey_app.services.records import records

log = logging.getLogger(__name__)
NOT_STATED = "not_stated"


def margins_table(wave: Wave) -> pd.DataFrame:
    rows = db.session.scalars(
        select(PopulationMargin).where(PopulationMargin.wave_id == wave.id).order_by(PopulationMargin.id)
    ).all()
    return pd.DataFrame(
        [
            {
                "variable": m.variable,
                "category": m.category,
                "proportion": m.proportion,
                "count": m.count,
                "source_note": m.source_note,
            }
            for m in rows
        ],
        columns=["variable", "category", "proportion", "count", "source_note"],
    )


def stated_or_not(values: pd.Series, known: set[str]) -> pd.Series:
    """The answer where the margins know it, else ``not_stated``, as a categorical: raking
    and the variance then work on its codes, never comparing text row by row."""
    codes, labels = codes_of(values)
    categories = [label for label in labels if label in known and label != NOT_STATED] + [NOT_STATED]
    position = {label: i for i, label in enumerate(categories)}
    # The last slot of the lookup serves code -1 (no answer).
    lookup = np.array([position.get(label, len(categories) - 1) for label in labels] + [len(categories) - 1])
    return pd.Series(pd.Categorical.from_codes(lookup[codes], categories), index=values.index)


def with_not_stated(
    frame: pd.DataFrame, margins: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The weighting columns with unmatched answers as ``not_stated``, and margins to match."""
    columns, adjusted, variables = {}, [], []
    for variable, rows in margins.groupby("variable", sort=False):
        if variable not in frame:
            raise SurveyError(f"The margins weight by '{variable}', which this wave does not ask.")
        columns[variable] = stated_or_not(frame[variable], set(rows["category"]))
        share = float((columns[variable] == NOT_STATED).mean())
        rows = rows.assign(proportion=rows["proportion"] * (1 - share), count=rows["count"] * (1 - share))
        if share > 0:
            variables.append(variable)
            total = rows["count"].sum() / (1 - share) if rows["count"].notna().all() else None
            rows = pd.concat(
                [
                    rows,
                    pd.DataFrame(
                        [
                            {
                                "variable": variable,
                                "category": NOT_STATED,
                                "proportion": share,
                                "count": None if total is None else total * share,
                                "source_note": "sample share of respondents who did not say",
                            }
                        ]
                    ),
                ]
            )
        adjusted.append(rows)
    return pd.DataFrame(columns, index=frame.index), pd.concat(adjusted, ignore_index=True), variables


def run(
    wave: Wave,
    actor: StaffUser | None,
    tol: float = 1e-8,
    max_iter: int = 200,
    bounds: tuple[float, float] | None = None,
    dataset: datasets.Dataset | None = None,
) -> WeightRun:
    """Rakes the wave's responses to its margins and stores the run and every weight.
    ``dataset``, the wave already loaded, saves loading it again (weigh, then release)."""
    margins = margins_table(wave)
    if margins.empty:
        raise SurveyError("This wave has no population margins yet: upload them first.")
    dataset = dataset or datasets.load(wave)
    if dataset.frame.empty:
        raise SurveyError("This wave has no responses to weight.")
    columns, used, not_stated = with_not_stated(dataset.frame, margins)
    if used["count"].isna().any():
        used["count"] = None
    base_weight = dataset.design["base_weight"]
    if base_weight:
        columns[base_weight] = dataset.frame[base_weight]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-convergence is stored and shown, in words
            result = rake(
                columns,
                used.drop(columns="source_note"),
                base_weight=base_weight,
                max_iter=max_iter,
                tol=tol,
                bounds=bounds,
            )
    except AnalysisInputError as error:
        raise SurveyError(f"The responses cannot be weighted to these margins: {error}.") from None
    weight_run = WeightRun(
        wave=wave,
        created_by_id=actor.id if actor else None,
        settings={
            "tol": tol,
            "max_iter": max_iter,
            "bounds": list(bounds) if bounds else None,
            "not_stated": not_stated,
        },
        margins=records(used),
        converged=result.converged,
        iterations=result.iterations,
        max_error=result.max_error,
        problem=result.problem(),
        diagnostics=result.diagnostics,
        responses=len(columns),
        last_day=dataset.last_day,
        on_last_day=dataset.on_last_day,
        response_keys=bytes.fromhex("".join(result.weights.index)),
        weights=result.weights.to_numpy("<f8").tobytes(),
    )
    db.session.add(weight_run)
    db.session.flush()
    log.info("weight run %s for wave %s: converged=%s", weight_run.id, wave.id, result.converged)
    return weight_run


def latest_run(wave: Wave, converged: bool = False) -> WeightRun | None:
    """The wave's newest weight run (only converged ones when ``converged``)."""
    query = select(WeightRun).where(WeightRun.wave_id == wave.id)
    if converged:
        query = query.where(WeightRun.converged.is_(True))
    return db.session.scalar(query.order_by(WeightRun.id.desc()).limit(1))


def weights_of(weight_run: WeightRun) -> pd.Series:
    """The run's weights indexed like a dataset's rows (each response UUID's 32 hex digits)."""
    keys = weight_run.response_keys.hex()
    return pd.Series(
        np.frombuffer(weight_run.weights, "<f8"),
        index=pd.Index([keys[i : i + 32] for i in range(0, len(keys), 32)]),
        name="weight",
    )


def weighted(dataset: datasets.Dataset, weight_run: WeightRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The responses the run weighed (not those that arrived after it) with its weights and
    weighting columns (``w_<variable>``, with ``not_stated`` filled in), and the margins under
    those names: what calibration-aware standard errors need, leaving the answer columns as
    respondents gave them."""
    margins = pd.DataFrame(weight_run.margins).drop(columns="source_note")
    frame = dataset.frame.copy()
    for variable, rows in margins.groupby("variable", sort=False):
        frame[f"w_{variable}"] = stated_or_not(frame[variable], set(rows["category"]) - {NOT_STATED})
    margins["variable"] = "w_" + margins["variable"]
    weights = weights_of(weight_run)
    frame = frame[frame.index.isin(weights.index)]
    return frame.assign(weight=weights.reindex(frame.index)), margins


def margin_shares(frame: pd.DataFrame, weight_run: WeightRun) -> pd.DataFrame:
    """Per margin and category: the population target, the unweighted sample share and the
    weighted share (``frame`` from :func:`weighted`), so the analyst sees what raking did."""
    rows = []
    for margin in weight_run.margins:
        column = frame[f"w_{margin['variable']}"]
        chosen = (column == margin["category"]).fillna(False)
        rows.append(
            {
                "variable": margin["variable"],
                "category": margin["category"],
                "target": margin["proportion"],
                "sample": float(chosen.mean()),
                "weighted": float(frame.loc[chosen, "weight"].sum() / frame["weight"].sum()),
            }
        )
    return pd.DataFrame(rows)
