"""All models, imported here so that Alembic and ``db.create_all`` see every table."""

from survey_app.models.audit import AuditEvent
from survey_app.models.job import Job, JobKind, JobState
from survey_app.models.population import PopulationMargin
from survey_app.models.questionnaire import (
    Audience,
    Indicator,
    Option,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireVersion,
)
from survey_app.models.response import Response, TextAnswer
from survey_app.models.results import Release, ReleaseFile, ReleaseState, ResultsSnapshot, WeightRun
from survey_app.models.school import Borough, School
from survey_app.models.staff import Role, StaffUser
from survey_app.models.wave import AccessCode, CodeKind, Wave, WaveSchool, WaveState

__all__ = [
    "AccessCode",
    "TextAnswer",
    "Audience",
    "AuditEvent",
    "Borough",
    "CodeKind",
    "Indicator",
    "Job",
    "JobKind",
    "JobState",
    "Option",
    "PopulationMargin",
    "Question",
    "QuestionKind",
    "Questionnaire",
    "QuestionnaireVersion",
    "Release",
    "ReleaseFile",
    "ReleaseState",
    "ResultsSnapshot",
    "Response",
    "Role",
    "School",
    "StaffUser",
    "Wave",
    "WaveSchool",
    "WaveState",
    "WeightRun",
]
