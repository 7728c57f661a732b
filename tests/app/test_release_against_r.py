"""End to end against R (issue 9): a clustered wave with sampled schools (unequal base
weights) and a borough with a single school is weighed and released through the services,
its microdata exported, and R's survey package, run on that export alone, must agree with
every figure behind the release to 1e-6, and the release must be those figures rounded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from analysis.disclosure import CONFIDENTIAL
from survey_app.extensions import db
from survey_app.models import Borough, CodeKind, School, Wave, WaveSchool
from survey_app.services import microdata, releases, results, snapshots
from survey_app.services.access_codes import create_codes
from tests.support import populate_pupil_wave, require

SCRIPT = Path(__file__).parent / "r" / "release_reference.R"
TOLERANCE = 1e-6


def _sampled_wave(world) -> Wave:
    """The world's pupil wave with schools in three boroughs (one borough has a single
    school), each school with its own selection weight, and 1,200 responses."""
    wave = db.session.get(Wave, world.pupil_wave_id)
    boroughs = db.session.scalars(sa.select(Borough).order_by(Borough.code).offset(2).limit(2)).all()
    for i in range(6):
        school = School(
            urn=f"20000{i}", name=f"Sampled School {i}", borough=boroughs[0] if i == 0 else boroughs[1]
        )
        db.session.add(school)
        db.session.add(WaveSchool(wave=wave, school=school, expected_pupils=200))
        create_codes(wave, CodeKind.CLASS, 1, school=school, class_label=f"9{i}")
    db.session.flush()
    for number, link in enumerate(
        db.session.scalars(sa.select(WaveSchool).where(WaveSchool.wave_id == wave.id).order_by(WaveSchool.id))
    ):
        link.selection_weight = [1.0, 2.5, 4.0, 1.5, 3.0][number % 5]
    populate_pupil_wave(wave, 1200, seed=11)
    return wave


def _write_inputs(folder: Path, wave: Wave, outcome: results.WaveResults) -> None:
    data = microdata.load(wave)
    (folder / "data.csv").write_text("".join(microdata.csv_chunks(data)))
    pd.DataFrame(outcome.weight_run.margins)[["variable", "category", "proportion"]].to_csv(
        folder / "margins.csv", index=False
    )
    specs = []
    for spec in results.indicator_specs(wave):
        assert len(spec.base_filter) <= 1
        ((column, codes),) = spec.base_filter.items() or [("", ())]
        specs.append(
            {
                "key": spec.key,
                "question": spec.question,
                "numerator": "|".join(spec.numerator),
                "filter_col": column,
                "filter_codes": "|".join(codes),
                "excluded": "|".join(spec.excluded),
            }
        )
    pd.DataFrame(specs).to_csv(folder / "specs.csv", index=False)
    visible = outcome.table[outcome.table["symbol"] != CONFIDENTIAL]
    visible[["indicator", "breakdown", "group"]].to_csv(folder / "cells.csv", index=False)
    outcome.equality[["indicator", "breakdown", "group"]].to_csv(folder / "comparisons.csv", index=False)


def test_every_figure_of_a_release_agrees_with_r_survey_on_the_exported_microdata(
    app, world, staff, tmp_path
):
    require(shutil.which("Rscript") is not None, "R (Rscript with the survey package)")
    with app.app_context():
        wave = _sampled_wave(world)
        run = snapshots.weigh(wave, None)
        assert run.converged
        outcome = results.wave_results(wave, run)
        assert outcome.frame["base_weight"].nunique() > 1  # unequal base weights
        release = releases.create_draft(wave, None)
        _write_inputs(tmp_path, wave, outcome)
        subprocess.run(["Rscript", str(SCRIPT), str(tmp_path)], check=True, capture_output=True, timeout=600)
        key = ["indicator", "breakdown", "group"]
        theirs = pd.read_csv(
            tmp_path / "estimates.csv", keep_default_na=False, dtype={"breakdown": str, "group": str}
        )
        ours = outcome.table.merge(theirs, on=key, suffixes=("", "_r"), validate="1:1")
        assert len(ours) == len(theirs) >= 40
        assert outcome.table["breakdown"].eq("borough").any()
        for column in ("estimate", "ci_low", "ci_high"):
            inside = ours["estimate"].between(0, 1, inclusive="neither") | (column == "estimate")
            gap = (ours[column].astype(float) - ours[f"{column}_r"].astype(float))[inside].abs().max()
            assert gap <= TOLERANCE, (column, gap)
        differences = pd.read_csv(
            tmp_path / "differences.csv", keep_default_na=False, dtype={"breakdown": str, "group": str}
        )
        compared = outcome.equality.merge(differences, on=key, suffixes=("", "_r"), validate="1:1")
        assert len(compared) == len(outcome.equality) >= 20
        for column in ("difference", "ci_low", "ci_high", "p_value"):
            gap = (compared[column] - compared[f"{column}_r"].astype(float)).abs().max()
            assert gap <= TOLERANCE, (column, gap)
        # The release publishes exactly R's figures, rounded to whole percentages.
        published = pd.DataFrame(release.tables["indicators"]).merge(
            theirs.add_suffix("_r").rename(columns={f"{k}_r": k for k in key}), on=key
        )
        assert len(published) == len(theirs)
        for ours_column, r_column in (
            ("percent", "estimate_r"),
            ("ci_low", "ci_low_r"),
            ("ci_high", "ci_high_r"),
        ):
            gap = (published[ours_column] - published[r_column].astype(float) * 100).abs().max()
            assert gap <= 0.5 + TOLERANCE, (ours_column, gap)
        equality = pd.DataFrame(release.tables["equality"]).merge(differences, on=key, suffixes=("", "_r"))
        assert (
            equality["difference"] - equality["difference_r"].astype(float) * 100
        ).abs().max() <= 0.5 + TOLERANCE
        assert (
            equality["flagged"]
            .eq((equality["ci_low_r"].astype(float) > 0) | (equality["ci_high_r"].astype(float) < 0))
            .all()
        )
