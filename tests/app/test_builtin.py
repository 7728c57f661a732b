"""The built-in questionnaires, indicators and boroughs (DESIGN §5)."""

from __future__ import annotations

import sqlalchemy as sa

from survey_app.extensions import db
from survey_app.models import Borough, Indicator, Questionnaire, QuestionnaireVersion
from survey_app.services import builtin


def _version(key: str) -> QuestionnaireVersion:
    return db.session.scalar(sa.select(Questionnaire).where(Questionnaire.key == key)).versions[0]


def test_loading_twice_adds_nothing_the_second_time(ctx):
    builtin.load_all()
    counts = [
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Borough, Questionnaire, Indicator)
    ]
    assert counts == [33, 2, 5]
    builtin.load_all()
    assert builtin.load_boroughs() == 0 and builtin.load_indicators() == 0
    assert builtin.load_questionnaires() == []


def test_ethnicity_has_the_19_ons_categories_under_5_groups(ctx):
    builtin.load_all()
    options = _version("pupil").question("ethnicity").options
    grouped = [o for o in options if o.group]
    assert len(grouped) == 19
    assert {o.group for o in grouped} == {"Asian", "Black", "Mixed", "White", "Other"}
    assert [o.code for o in options if o.is_missing] == ["prefer_not_to_say"]


def test_pupil_routing_and_missing_codes(ctx):
    builtin.load_all()
    version = _version("pupil")
    conditional = {q.key for q in version.questions if q.condition}
    assert conditional == {"know_sso", "felt_safety", "officer_discipline", "officer_helped"}
    felt = version.question("felt_safety")
    assert [o.code for o in felt.options if o.is_missing] == ["dont_know"]
    assert all(not q.required for q in version.questions if q.sensitive)
    every_single_choice_has_an_out = all(
        any(o.is_missing for o in q.options) for q in version.questions if q.options
    )
    assert every_single_choice_has_an_out


def test_public_questionnaire_lists_every_borough(ctx):
    builtin.load_all()
    codes = {o.code for o in _version("public").question("borough").options}
    assert {b.code for b in db.session.scalars(sa.select(Borough))} < codes


def test_indicators_point_at_real_questions_and_codes(ctx):
    builtin.load_all()
    for indicator in db.session.scalars(sa.select(Indicator)):
        version = _version(indicator.questionnaire_key)
        question = version.question(indicator.question)
        codes = {o.code for o in question.options}
        assert set(indicator.numerator) <= codes, indicator.key
        assert set(indicator.excluded) <= codes, indicator.key
        for key, allowed in indicator.base_filter.items():
            assert set(allowed) <= {o.code for o in version.question(key).options}
