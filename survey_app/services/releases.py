"""Releases: freezing a wave's published tables, four-eyes publication, corrections (DESIGN §8).

A draft holds every number it will publish, in published form (rounded, suppressed), and a
methodology note generated from the weight run. Pages and downloads read these stored tables;
nothing public is recomputed per request.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from analysis import Thresholds, published, published_equality, wave_changes
from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import Release, ReleaseState, StaffUser, Wave
from survey_app.services import release_files, results, snapshots
from survey_app.services.records import records

ILLUSTRATIVE = "ILLUSTRATIVE"
DEFAULT_THRESHOLDS = Thresholds()
RELEASE_DECIMALS = 0  # whole percentages, as official statistics publish them


def checksum(tables: dict[str, Any], methodology: str) -> str:
    """SHA-256 of the canonical JSON of what is published, shown beside it."""
    text = json.dumps(
        {"tables": tables, "methodology": methodology},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def methodology(outcome: results.WaveResults) -> str:
    """Plain-English method: sample, fieldwork, weighting, variance, intervals, disclosure."""
    wave, run = outcome.wave, outcome.weight_run
    margins = sorted({m["variable"] for m in run.margins})
    sources = sorted({m["source_note"] for m in run.margins if m.get("source_note")})
    not_stated = run.settings.get("not_stated") or []
    d = run.diagnostics
    lines = [
        f"Fieldwork: {wave.opens_at:%d %B %Y} to {wave.closes_at:%d %B %Y}; "
        f"{run.responses:,} responses were weighted.",
        f"Weighting: raking (iterative proportional fitting) to population margins for "
        f"{', '.join(margins)}; converged in {run.iterations} iterations "
        f"(largest margin error {run.max_error:.1e}). Kish design effect of the weights "
        f"{d.get('deff_kish', float('nan')):.2f}, effective sample size "
        f"{d.get('n_eff', float('nan')):,.0f}.",
        f"Sources of the margins: {'; '.join(sources) or 'not given'}.",
    ]
    if not_stated:
        lines.append(
            "Respondents who did not give " + ", ".join(not_stated) + " keep their own "
            "'not stated' weighting category at their share of the sample."
        )
    lines += [
        "Variance: design-based Taylor linearisation with schools as clusters within boroughs "
        "(with-replacement approximation), allowing for the weighting (calibration); a borough "
        'with a single school is handled as R survey\'s lonely.psu = "adjust".'
        if outcome.weight_run.wave.audience.value == "pupil"
        else "Variance: design-based Taylor linearisation allowing for the weighting (calibration).",
        "Intervals: 95% confidence intervals on the logit scale with the design's degrees of "
        "freedom (Korn-Graubard at 0% and 100%).",
        f"Disclosure control: nothing is shown from fewer than {DEFAULT_THRESHOLDS.floor} respondents; "
        f"a percentage in a breakdown needs {DEFAULT_THRESHOLDS.breakdown}; a borough needs "
        f"{DEFAULT_THRESHOLDS.area_schools} schools and {DEFAULT_THRESHOLDS.area_base} respondents. "
        "Further cells are "
        "hidden so that no hidden figure can be worked out from the others in this release. "
        "Counts are rounded to the nearest 5; percentages are calculated before rounding. "
        "[c] confidential, [u] low reliability (fewer than 100 respondents or an effective "
        f"sample under {DEFAULT_THRESHOLDS.reliable_n_eff:.0f}), [x] not available.",
        "Equality view: each group is compared with everyone else in the figure's base, "
        "including people who did not say which group they are in, so that a comparison "
        "reveals nothing the group's and the overall figures do not. The difference has a "
        "95% confidence interval and a two-sided p-value from a design-based t test (the same "
        "variance and degrees of freedom as above). A difference is flagged when its interval "
        "excludes zero. Holm-adjusted p-values allow for the number of groups compared within "
        "each breakdown. A flag is evidence of a difference in answers, not of its cause.",
        "Trends: each wave is an independent sample, so the variance of a change is the sum "
        "of the two waves' variances, with the degrees of freedom of both designs together.",
    ]
    return "\n\n".join(lines)


def create_draft(wave: Wave, actor: StaffUser | None, title: str = "", change_note: str = "") -> Release:
    """A draft release of the wave's last good results snapshot: nothing is estimated again."""
    snapshot = snapshots.latest(wave)
    if snapshot is None:
        raise SurveyError("This wave has no converged weighting with results yet: weigh it first.")
    outcome = snapshots.outcome(snapshot)
    indicators = outcome.labelled(published(outcome.table, RELEASE_DECIMALS))
    tables = {
        "indicators": records(indicators),
        "equality": records(outcome.labelled(published_equality(outcome.equality, RELEASE_DECIMALS))),
        "trends": records(public_trends(wave, outcome, indicators)),
    }
    note = methodology(outcome)
    release = Release(
        wave=wave,
        weight_run=outcome.weight_run,
        tables=tables,
        methodology=note,
        checksum=checksum(tables, note),
        title=title.strip() or wave.name,
        prepared_by_id=actor.id if actor else None,
        change_note=change_note.strip(),
    )
    db.session.add(release)
    db.session.flush()
    return release


TREND_FIGURES = ["indicator", "name", "percent", "ci_low", "ci_high", "n_rounded", "symbol"]
CHANGE_COLUMNS = ["change", "change_ci_low", "change_ci_high"]
PRECISE = ["indicator", "estimate", "se", "df"]


def public_trends(wave: Wave, outcome: results.WaveResults, indicators: pd.DataFrame) -> pd.DataFrame:
    """Each indicator in every wave of the questionnaire that has a published release, as that
    release shows it (same rounding, same symbols), then this wave as this draft shows it. A
    change is given only between two shown figures, from the full-precision results each
    release was made from, at the release's precision. Nothing hidden or unpublished enters."""
    waves = []
    for other in results.comparable_waves(wave):
        if other.id == wave.id:
            shown, source = indicators, outcome.table
        else:
            release = current_release(other)
            if release is None:
                continue
            shown = pd.DataFrame(release.tables["indicators"])
            stored = snapshots.of_run(release.weight_run_id)  # none for a release older than snapshots
            source = snapshots.frame_of(stored.content["table"]) if stored else None
        overall = shown.loc[shown["breakdown"] == "", TREND_FIGURES]
        full = (
            pd.DataFrame(columns=PRECISE)
            if source is None
            else source.loc[source["breakdown"] == "", PRECISE]
        )
        rows = overall.merge(full, on="indicator", how="left").astype({c: float for c in PRECISE[1:]})
        rows.loc[rows["percent"].isna(), ["estimate", "se", "df"]] = np.nan  # hidden: no change either
        waves.append(rows.assign(wave_id=other.id, wave_name=other.name, fieldwork=f"{other.opens_at:%B %Y}"))
    if len(waves) < 2:
        return pd.DataFrame()
    stacked = pd.concat(waves, ignore_index=True)
    trend = pd.concat(
        [wave_changes(rows) for _, rows in stacked.groupby("indicator", sort=False)], ignore_index=True
    )
    trend[CHANGE_COLUMNS] = (trend[CHANGE_COLUMNS].astype(float) * 100).round(RELEASE_DECIMALS)
    trend["change_p"] = trend["change_p"].astype(float).round(3)
    return trend.drop(columns=["estimate", "se", "df"])


def current_release(wave: Wave) -> Release | None:
    """The wave's published release (a superseded one is no longer current)."""
    return db.session.scalar(
        select(Release).where(Release.wave_id == wave.id, Release.state == ReleaseState.PUBLISHED)
    )


def check_publisher(release: Release, actor: StaffUser | None) -> None:
    """Four eyes: whoever prepared a draft does not publish it; only a draft is published."""
    if release.state is not ReleaseState.DRAFT:
        raise SurveyError(f"This release is {release.state.value}: only a draft can be published.")
    if actor is not None and actor.id == release.prepared_by_id:
        raise SurveyError("Someone other than the person who prepared this release must publish it.")


def publish(release: Release, actor: StaffUser | None) -> Release:
    """Publishes a draft (four eyes: never by the person who prepared it), stores its files
    rendered once, and supersedes the wave's previous published release, which stays readable
    with a banner."""
    check_publisher(release, actor)
    if checksum(release.tables, release.methodology) != release.checksum:
        raise SurveyError("This draft's tables do not match their checksum; prepare it again.")
    previous = db.session.scalars(
        select(Release).where(Release.wave_id == release.wave_id, Release.state == ReleaseState.PUBLISHED)
    ).all()
    for old in previous:
        old.supersede()
        release.supersedes_id = old.id
    release.publish(actor.id if actor else None)
    db.session.flush()
    release_files.store(release)
    return release


def public_releases() -> list[Release]:
    """Published and superseded releases, newest first; never a draft."""
    return list(
        db.session.scalars(
            select(Release)
            .where(Release.state.in_([ReleaseState.PUBLISHED, ReleaseState.SUPERSEDED]))
            .order_by(Release.published_at.desc(), Release.id.desc())
        )
    )


def public_release(release_id: int) -> Release | None:
    release = db.session.get(Release, release_id)
    return release if release is not None and release.state is not ReleaseState.DRAFT else None


def drafts() -> list[Release]:
    return list(
        db.session.scalars(
            select(Release).where(Release.state == ReleaseState.DRAFT).order_by(Release.id.desc())
        )
    )
