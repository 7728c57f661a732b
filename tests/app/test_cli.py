"""The click commands, run through Flask's CLI runner against the suite's database."""

from __future__ import annotations

import re

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import AccessCode, PopulationMargin, Response, School, Wave
from survey_app.services.access_codes import normalise
from tests.support import stored_answers


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_builtin_command_loads_questionnaires(app):
    result = app.test_cli_runner().invoke(args=["builtin"])
    assert result.exit_code == 0 and "loaded" in result.output


def test_demo_creates_a_usable_world_and_tops_up_responses(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--responses", "40"])
    assert result.exit_code == 0, result.output
    assert "40 responses added" in result.output
    assert _count(app, School) == 60 and _count(app, Response) == 40
    with app.app_context():
        assert sum(map(len, stored_answers())) > 40 * 8
    printed = re.findall(r"\b([A-Z2-9]{5}-[A-Z2-9]{5})\b", result.output)
    assert len(printed) == 5  # four class codes and one invitation code
    with app.app_context():
        codes = set(db.session.scalars(sa.select(AccessCode.code)))
        assert {normalise(c) for c in printed} <= codes
        notes = set(db.session.scalars(sa.select(PopulationMargin.source_note)))
        assert notes and all("ILLUSTRATIVE" in note for note in notes)
        assert all(w.accepting_at() for w in db.session.scalars(sa.select(Wave)))
    again = runner.invoke(args=["demo", "--responses", "40"])
    assert "0 responses added" in again.output and _count(app, School) == 60


def test_demo_responses_vary_by_group(app):
    app.test_cli_runner().invoke(args=["demo", "--responses", "300"])
    with app.app_context():
        groups = {answers["ethnicity"] for answers in stored_answers() if "ethnicity" in answers}
        schools = set(db.session.scalars(sa.select(Response.school_id)))
    assert len(groups) >= 12 and len(schools) >= 30
