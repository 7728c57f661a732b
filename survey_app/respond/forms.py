"""Respondent forms: the code a pupil or adult types, and the Send button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired("Enter the code you were given."), Length(max=40)])


class SubmitForm(FlaskForm):
    submission_uuid = HiddenField()
