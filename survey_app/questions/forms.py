"""Question forms, shared by the respondent pages and the admin preview: one class per kind.

WTForms validates and carries the CSRF token; the radios themselves are rendered by a Jinja
macro, which measured about ten times cheaper than WTForms' per-option widgets (DESIGN §6).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from survey_app.models import Question, QuestionKind
from survey_app.models.questionnaire import localised


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class QuestionForm(FlaskForm):
    class Meta:
        # CSRFProtect has already checked every POST's token before the view runs, and the page
        # writes the token itself: a second field would sign and check it all over again.
        csrf = False


class SingleChoiceForm(QuestionForm):
    answer = RadioField(choices=[], validate_choice=True)

    def configure(self, question: Question, language: str, max_text: int) -> None:
        self.answer.choices = [(o.code, localised(o.label, language)) for o in question.options]
        self.answer.validators = (
            [InputRequired("Choose one answer to carry on.")] if question.required else [Optional()]
        )


class TextAnswerForm(QuestionForm):
    answer = TextAreaField(filters=[_strip])

    def configure(self, question: Question, language: str, max_text: int) -> None:
        self.answer.validators = [
            Optional(),
            Length(max=max_text, message=f"Please write no more than {max_text} characters."),
        ]


FORM_FOR_KIND = {QuestionKind.SINGLE: SingleChoiceForm, QuestionKind.TEXT: TextAnswerForm}


def question_form(
    question: Question, language: str, max_text: int, saved: str | None, formdata: MultiDict
) -> SingleChoiceForm | TextAnswerForm:
    """The form that checks one question page's POST. A GET needs none: the page shows the
    saved answer, and building a form with its CSRF field was 9% of the page's work."""
    form_cls = FORM_FOR_KIND[question.kind]
    form = form_cls(formdata=formdata, data={"answer": saved})
    form.configure(question, language, max_text)
    return form
