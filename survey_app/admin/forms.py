"""Admin forms: WTForms validates, Flask-WTF adds CSRF."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class ActionForm(FlaskForm):
    """A POST-only action (open, close, revoke, copy) behind CSRF."""


class UploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])


class MarginsForm(UploadForm):
    source_note = StringField("Where the figures come from", validators=[
        InputRequired("Say where the figures come from."), Length(max=500)])


class WaveForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    version_id = SelectField("Questionnaire version", coerce=int)
    opens_on = DateField("Opens on", validators=[InputRequired()])
    closes_on = DateField("Closes on (the wave closes at the start of this day)",
                          validators=[InputRequired()])
    open_link = BooleanField("Public waves: also accept answers from an open link")
    text_retention_days = IntegerField(
        "Keep free-text answers for this many days after they are sent, then delete them",
        default=730, validators=[NumberRange(min=30, max=3650)])


class ClassCodesForm(FlaskForm):
    school_id = SelectField("School", coerce=int)
    labels = TextAreaField("Class labels, one per line (for example 8X, 10Y)",
                           validators=[InputRequired(), Length(max=2000)])


class InvitationCodesForm(FlaskForm):
    count = IntegerField("How many single-use invitation codes",
                         validators=[InputRequired(), NumberRange(1, 5000)])


class QuestionForm(FlaskForm):
    """Wording of one question in one language; option labels one per line, in order."""

    wording = TextAreaField("Question", validators=[InputRequired(), Length(max=500)])
    hint = TextAreaField("Hint", validators=[Optional(), Length(max=1000)])
    options = TextAreaField("Answer labels, one per line, in the order shown",
                            validators=[Optional(), Length(max=5000)])
    required = BooleanField("An answer is required")
    condition_question = SelectField("Ask this question only when the answer to", choices=[])
    condition_codes = StringField("is one of these answer codes (comma-separated)",
                                  validators=[Optional(), Length(max=500)])
