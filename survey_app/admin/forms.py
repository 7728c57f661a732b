"""Admin forms: WTForms validates, Flask-WTF adds CSRF. Every message says what to do."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class UploadForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")])


class MarginsForm(UploadForm):
    source_note = StringField(
        "Where the figures come from",
        validators=[
            InputRequired("Say where the figures come from."),
            Length(max=500, message="Keep the source to 500 characters."),
        ],
    )


class WaveForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            InputRequired("Give the wave a name."),
            Length(max=120, message="Keep the name to 120 characters."),
        ],
    )
    version_id = SelectField("Questionnaire version", coerce=int)
    opens_on = DateField("Opens on", validators=[InputRequired("Give the opening date.")])
    closes_on = DateField(
        "Closes on (the wave closes at the start of this day)",
        validators=[InputRequired("Give the closing date.")],
    )
    open_link = BooleanField("Public waves: also accept answers from an open link")
    text_retention_days = IntegerField(
        "Keep free-text answers for this many days after they are sent, then delete them",
        default=730,
        validators=[
            DataRequired("Give a number of days."),  # clears WTForms' "Not a valid integer"
            NumberRange(min=30, max=3650, message="Give a number of days from 30 to 3,650."),
        ],
    )

    def validate_closes_on(self, field: DateField) -> None:
        if self.opens_on.data and field.data and field.data <= self.opens_on.data:
            raise ValidationError("The closing date must be after the opening date.")


class ClassCodesForm(FlaskForm):
    school_id = SelectField("School", coerce=int, validate_choice=True)
    labels = TextAreaField(
        "Class labels, one per line (for example 8X, 10Y)",
        validators=[
            InputRequired("Give at least one class label, one per line (for example 8X)."),
            Length(max=4000, message="That is too much text for one go: give at most 60 labels."),
        ],
    )


class InvitationCodesForm(FlaskForm):
    count = IntegerField(
        "How many single-use invitation codes",
        validators=[
            DataRequired("Give a whole number from 1 to 5,000."),
            NumberRange(1, 5000, message="Give a whole number from 1 to 5,000."),
        ],
    )


class QuestionForm(FlaskForm):
    """Wording of one question in one language; option labels one per line, in order."""

    wording = TextAreaField(
        "Question",
        validators=[
            InputRequired("Give the question's wording."),
            Length(max=500, message="Keep the question to 500 characters."),
        ],
    )
    hint = TextAreaField(
        "Hint", validators=[Optional(), Length(max=1000, message="Keep the hint to 1,000 characters.")]
    )
    options = TextAreaField(
        "Answer labels, one per line, in the order shown",
        validators=[Optional(), Length(max=5000, message="Keep the answer labels to 5,000 characters.")],
    )
    required = BooleanField("An answer is required")
    condition_question = SelectField("Ask this question only when the answer to", choices=[])
    condition_codes = StringField(
        "is one of these answer codes (comma-separated)",
        validators=[Optional(), Length(max=500, message="Keep the codes to 500 characters.")],
    )


class AuditFilterForm(FlaskForm):
    """Filters read from the address, so a filtered view can be bookmarked or shared."""

    class Meta:
        csrf = False

    person = SelectField("Who", choices=[], validate_choice=False)
    action = SelectField("Action", choices=[], validate_choice=False)
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
