"""A response's single-choice answers as one short binary value on its own row.

Analysis reads a wave as one range scan of its responses: each response carries its choices
as little-endian unsigned 16-bit numbers, one per single-choice question of its wave's version
in questionnaire order, 0 for a question not answered and n for the version's n-th option. A
wave's version is frozen before its first response (waves.open), so a position always means
the same option. Free text stays in its own rows (``TextAnswer``): it is rare, retention deletes
it, and it is never analysed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from survey_app.models import QuestionKind
from survey_app.services.versions import QuestionData, VersionData

CODE = np.dtype("<u2")
NOT_ANSWERED = 0


def choice_questions(version: VersionData) -> list[QuestionData]:
    """The questions a response's codes hold, in the order they hold them."""
    return [q for q in version.questions if q.kind is QuestionKind.SINGLE]


def encode(questions: Sequence[QuestionData], answers: Mapping[str, str]) -> bytes:
    """The codes of already-validated answers (an unknown option code is a programming error)."""
    positions = []
    for question in questions:
        code = answers.get(question.key)
        if code is None:
            positions.append(NOT_ANSWERED)
            continue
        positions.append(1 + next(i for i, o in enumerate(question.options) if o.code == code))
    return np.asarray(positions, dtype=CODE).tobytes()


def decode(questions: Sequence[QuestionData], codes: bytes) -> dict[str, str]:
    """The answers one response's codes hold, as option codes by question key."""
    positions = np.frombuffer(codes, dtype=CODE)
    return {
        q.key: q.options[int(p) - 1].code
        for q, p in zip(questions, positions, strict=True)
        if p != NOT_ANSWERED
    }


def matrix(codes: Iterable[bytes], rows: int, questions: int) -> np.ndarray:
    """Many responses' codes as a (rows, questions) array of option indexes, -1 where a
    question was not answered: what ``pandas.Categorical.from_codes`` takes."""
    joined = b"".join(codes)
    if len(joined) != rows * questions * CODE.itemsize:
        raise ValueError(f"stored answer codes do not fit {rows} responses of {questions} questions")
    return np.frombuffer(joined, dtype=CODE).reshape(rows, questions).astype(np.int16) - 1
