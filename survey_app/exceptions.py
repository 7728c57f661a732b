"""Domain errors: what a service says went wrong, in words a respondent or admin can act on.

SurveyError                  base; ``message`` is safe to show to the user
├── AccessCodeError          unknown, revoked, expired or used-up code
├── WaveNotAcceptingError    the wave is not open (not yet, or closed)
├── InvalidAnswersError      an answer outside its question's options, or a missing required one
├── InvalidTransitionError   a state change the lifecycle forbids (e.g. reopening a published wave)
├── WaveNotReadyError        opening a wave that lacks schools, codes or dates it needs
└── FrozenVersionError       editing a questionnaire version a wave already uses
"""

from __future__ import annotations


class SurveyError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AccessCodeError(SurveyError):
    pass


class WaveNotAcceptingError(SurveyError):
    status_code = 409


class InvalidAnswersError(SurveyError):
    pass


class InvalidTransitionError(SurveyError):
    status_code = 409


class FrozenVersionError(SurveyError):
    status_code = 409


class WaveNotReadyError(SurveyError):
    status_code = 409
