"""Loads the built-in questionnaires, indicators and London boroughs from ``survey_app/builtin``."""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from sqlalchemy import select

from analysis import IndicatorSpec
from survey_app.extensions import db
from survey_app.models import (
    Audience,
    Borough,
    Indicator,
    Option,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireVersion,
)

log = logging.getLogger(__name__)
BUILTIN_QUESTIONNAIRES = ("pupil", "public")


def read_builtin(name: str) -> Any:
    return json.loads(resources.files("survey_app.builtin").joinpath(f"{name}.json").read_text())


def load_boroughs() -> int:
    """Adds the 33 London local authorities that are missing; returns how many were added."""
    known = set(db.session.scalars(select(Borough.code)))
    added = [
        Borough(code=b["code"], name=b["name"]) for b in read_builtin("boroughs") if b["code"] not in known
    ]
    db.session.add_all(added)
    db.session.flush()
    return len(added)


def _options(spec: dict[str, Any]) -> list[Option]:
    raw = read_builtin(spec["options_from"])["options"] if "options_from" in spec else spec.get("options", [])
    return [
        Option(
            code=o["code"],
            label=o["label"],
            position=i,
            is_missing=o.get("missing", False),
            group=o.get("group"),
        )
        for i, o in enumerate(raw, start=1)
    ]


def build_version(spec: dict[str, Any], questionnaire: Questionnaire, number: int) -> QuestionnaireVersion:
    """A new, unfrozen version from a questionnaire definition in the built-in JSON shape."""
    version = QuestionnaireVersion(number=number, languages=spec.get("languages", ["en"]))
    questionnaire.versions.append(version)
    for position, q in enumerate(spec["questions"], start=1):
        version.questions.append(
            Question(
                key=q["key"],
                position=position,
                kind=QuestionKind(q["kind"]),
                wording=q["wording"],
                hint=q.get("hint", {}),
                required=q.get("required", False),
                sensitive=q.get("sensitive", False),
                condition=q.get("condition"),
                options=_options(q),
            )
        )
    return version


def load_questionnaires() -> list[QuestionnaireVersion]:
    """Creates version 1 of each built-in questionnaire that does not exist yet."""
    created = []
    for key in BUILTIN_QUESTIONNAIRES:
        if db.session.scalar(select(Questionnaire).where(Questionnaire.key == key)):
            continue
        spec = read_builtin(key)
        questionnaire = Questionnaire(key=key, title=spec["title"], audience=Audience(spec["audience"]))
        db.session.add(questionnaire)
        created.append(build_version(spec, questionnaire, number=1))
        log.info("loaded built-in questionnaire %s", key)
    db.session.flush()
    return created


def load_indicators() -> int:
    """Adds the built-in indicator definitions that are missing; returns how many were added."""
    known = {(i.questionnaire_key, i.key) for i in db.session.scalars(select(Indicator))}
    added = [
        Indicator(
            questionnaire_key=d["questionnaire"], **{name: d[name] for name in IndicatorSpec.field_names()}
        )
        for d in read_builtin("indicators")
        if (d["questionnaire"], d["key"]) not in known
    ]
    db.session.add_all(added)
    db.session.flush()
    return len(added)


def load_all() -> None:
    load_boroughs()
    load_questionnaires()
    load_indicators()
