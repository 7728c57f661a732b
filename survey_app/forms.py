"""Forms every area shares."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button that changes something (open a wave, next pupil, sign out): CSRF and nothing else."""
