"""Staff sign-in forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            InputRequired("Enter your email address."),
            Length(max=254, message="Email addresses are at most 254 characters."),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Enter your password."),
            Length(max=1000, message="Passwords are at most 1,000 characters."),
        ],
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            InputRequired("Enter the 6-digit code from your authenticator app, or a recovery code."),
            Length(max=20, message="Codes are at most 20 characters: check what you typed."),
        ],
    )
