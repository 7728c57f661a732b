"""Where a respondent goes next: routing over the question list, and progress."""

from __future__ import annotations

from collections.abc import Mapping

from survey_app.models.questionnaire import localised
from survey_app.services.responses import applicable_questions
from survey_app.services.versions import QuestionData, VersionData


def route(version: VersionData, answers: Mapping[str, str]) -> list[str]:
    """Keys of the questions this respondent is asked, in order."""
    return [q.key for q in applicable_questions(version, answers)]


def following(keys: list[str], key: str) -> str | None:
    index = keys.index(key)
    return keys[index + 1] if index + 1 < len(keys) else None


def preceding(keys: list[str], key: str) -> str | None:
    index = keys.index(key)
    return keys[index - 1] if index > 0 else None


def progress(version: VersionData, answers: Mapping[str, str], key: str) -> tuple[int, int]:
    """("Question n of total"): questions that hang on a not-yet-given answer still count, so
    the total does not jump up part-way through."""
    keys = route(version, answers)
    pending = [
        q
        for q in version.questions
        if q.key not in keys and q.condition and q.condition["question"] not in answers
    ]
    return keys.index(key) + 1, len(keys) + len(pending)


def answers_to_check(
    version: VersionData, answers: Mapping[str, str], language: str
) -> list[tuple[QuestionData, str | None]]:
    """Each question routing asks with the answer as the respondent saw it (``None`` when
    skipped): the "check your answers" page, which shows nothing routing left out."""
    shown = []
    for question in applicable_questions(version, answers):
        given = answers.get(question.key)
        if given is not None and question.options:
            option = next((o for o in question.options if o.code == given), None)
            given = localised(option.label, language) if option else None
        shown.append((question, given))
    return shown
