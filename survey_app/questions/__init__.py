"""How a question is shown and validated, for respondents and for the admin's preview alike.

The helpers its template needs are registered on the app, not on one blueprint, so any area
that renders a question page has them.
"""

from __future__ import annotations

from flask import Flask

from survey_app.models.questionnaire import localised
from survey_app.services.builtin import read_builtin

ETHNICITY_HEADINGS: dict[str, str] = read_builtin("ethnicity")["headings"]
LANGUAGE_NAMES = {
    "en": "English",
    "cy": "Cymraeg",
    "pl": "Polski",
    "bn": "বাংলা",
    "ur": "اردو",
    "so": "Soomaali",
    "ar": "العربية",
    "tr": "Türkçe",
    "ro": "Română",
    "es": "Español",
}


def _localised(texts: dict[str, str], language: str) -> str:
    return localised(texts or {}, language)


def _question_globals() -> dict[str, object]:
    return {"ethnicity_headings": ETHNICITY_HEADINGS, "language_names": LANGUAGE_NAMES}


def register(app: Flask) -> None:
    app.add_template_filter(_localised, "localised")
    app.context_processor(_question_globals)
