"""Questionnaire versions: copying to a new version and editing one that no wave has used."""

from __future__ import annotations

from sqlalchemy import func, select

from survey_app.exceptions import SurveyError
from survey_app.extensions import db
from survey_app.models import Option, Question, Questionnaire, QuestionnaireVersion

LANGUAGE_CODE_LENGTH = (2, 8)


def copy_version(source: QuestionnaireVersion) -> QuestionnaireVersion:
    """A new, editable version with the same questions, options, routing and translations."""
    number = (
        db.session.scalar(
            select(func.max(QuestionnaireVersion.number)).where(
                QuestionnaireVersion.questionnaire_id == source.questionnaire_id
            )
        )
        or 0
    ) + 1
    copy = QuestionnaireVersion(number=number, languages=list(source.languages))
    source.questionnaire.versions.append(copy)
    for question in source.questions:
        copy.questions.append(
            Question(
                key=question.key,
                position=question.position,
                kind=question.kind,
                wording=dict(question.wording),
                hint=dict(question.hint),
                required=question.required,
                condition=question.condition,
                sensitive=question.sensitive,
                options=[
                    Option(
                        code=o.code,
                        label=dict(o.label),
                        position=o.position,
                        is_missing=o.is_missing,
                        group=o.group,
                    )
                    for o in question.options
                ],
            )
        )
    db.session.flush()
    return copy


def check_condition(version: QuestionnaireVersion, question: Question, condition: dict | None) -> None:
    """Routing may only hang on an earlier single-choice question and its real answer codes."""
    if condition is None:
        return
    controller = version.question(condition["question"])
    if controller is None or controller.position >= question.position or not controller.options:
        raise SurveyError("Routing can only depend on an earlier multiple-choice question.")
    unknown = set(condition["in"]) - {o.code for o in controller.options}
    if not condition["in"] or unknown:
        raise SurveyError(
            f"Give answer codes of '{controller.key}', for example "
            f"{', '.join(o.code for o in controller.options[:2])}."
        )


def update_question(
    version: QuestionnaireVersion,
    key: str,
    language: str,
    wording: str,
    hint: str,
    option_labels: list[str],
    required: bool,
    condition: dict | None = None,
) -> Question:
    """Changes one question's wording in ``language`` (adding the language if it is new),
    whether it is required, and its routing condition.

    Codes and order stay as they are: analyses join on them across versions.
    """
    version.ensure_editable()
    question = version.question(key)
    if question is None:
        raise SurveyError(f"Version {version.number} has no question '{key}'.")
    if not (
        LANGUAGE_CODE_LENGTH[0] <= len(language) <= LANGUAGE_CODE_LENGTH[1]
        and language.replace("-", "").isalpha()
    ):
        raise SurveyError("A language is a short code such as en, cy or pl.")
    if question.options and len(option_labels) != len(question.options):
        raise SurveyError(f"Give exactly {len(question.options)} answer labels, one per line.")
    if question.sensitive and required:
        raise SurveyError("Sensitive questions (ethnicity, SEND, gender) must stay optional.")
    check_condition(version, question, condition)
    question.condition = condition
    question.wording = {**question.wording, language: wording.strip()}
    question.hint = (
        {**question.hint, language: hint.strip()}
        if hint.strip()
        else {k: v for k, v in question.hint.items() if k != language}
    )
    for option, label in zip(question.options, option_labels, strict=False):
        option.label = {**option.label, language: label.strip()}
    question.required = required
    if language not in version.languages:
        version.languages = [*version.languages, language]
    db.session.flush()
    return question


def all_questionnaires() -> list[Questionnaire]:
    return list(db.session.scalars(select(Questionnaire).order_by(Questionnaire.key)))


def all_versions() -> list[QuestionnaireVersion]:
    return list(
        db.session.scalars(
            select(QuestionnaireVersion)
            .join(Questionnaire)
            .order_by(Questionnaire.key, QuestionnaireVersion.number)
        )
    )
