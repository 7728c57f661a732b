"""Single-choice answers move onto their response as codes; the answer table keeps free text.

Reviewed by hand: nothing added identifies a respondent. Reading a wave used to regroup every
answer row in the database, and a planner whose statistics had not yet seen a new wave chose
a loop over that regrouping per response (minutes for a 4,000-response wave after a
50,000-response one). Now each response holds its choices as two bytes per single-choice
question of its wave's version, in question order: 0 for not answered, n for the n-th option
(the encoding of survey_app/services/answer_codes.py, repeated here so that this revision
never changes with the app). Versions are frozen before a wave's first response, so positions
are stable. The downgrade writes the per-answer rows back from the codes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:30:00
"""

from collections import defaultdict

import numpy as np
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CODE = np.dtype("<u2")
BATCH = 10_000

response = sa.table(
    "response",
    sa.column("submission_uuid", sa.Uuid),
    sa.column("wave_id", sa.Integer),
    sa.column("answer_codes", sa.LargeBinary),
)
answer = sa.table(
    "answer",
    sa.column("response_uuid", sa.Uuid),
    sa.column("question_key", sa.String),
    sa.column("option_code", sa.String),
)
wave = sa.table("wave", sa.column("id", sa.Integer), sa.column("version_id", sa.Integer))
question = sa.table(
    "question",
    sa.column("id", sa.Integer),
    sa.column("version_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("position", sa.Integer),
    sa.column("kind", sa.String),
)
option = sa.table(
    "option",
    sa.column("question_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("position", sa.Integer),
)


def _choices(connection, version_id: int) -> list[tuple[str, list[str]]]:
    """(question key, option codes in order) of a version's single-choice questions, in order."""
    rows = connection.execute(
        sa.select(question.c.id, question.c.key)
        .where(question.c.version_id == version_id, question.c.kind == "single")
        .order_by(question.c.position)
    ).all()
    return [
        (
            key,
            list(
                connection.scalars(
                    sa.select(option.c.code).where(option.c.question_id == qid).order_by(option.c.position)
                )
            ),
        )
        for qid, key in rows
    ]


def _waves(connection):
    for wave_id, version_id in connection.execute(sa.select(wave.c.id, wave.c.version_id)).all():
        yield wave_id, _choices(connection, version_id)


def upgrade():
    with op.batch_alter_table("response") as batch_op:
        batch_op.add_column(sa.Column("answer_codes", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    for wave_id, choices in _waves(connection):
        keys = connection.scalars(
            sa.select(response.c.submission_uuid).where(response.c.wave_id == wave_id)
        ).all()
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            given = defaultdict(dict)
            for key, question_key, code in connection.execute(
                sa.select(answer.c.response_uuid, answer.c.question_key, answer.c.option_code).where(
                    answer.c.response_uuid.in_(batch), answer.c.option_code.is_not(None)
                )
            ):
                given[key][question_key] = code
            connection.execute(
                response.update()
                .where(response.c.submission_uuid == sa.bindparam("key"))
                .values(answer_codes=sa.bindparam("codes")),
                [{"key": key, "codes": _encode(choices, given[key])} for key in batch],
            )
    op.execute(answer.delete().where(answer.c.option_code.is_not(None)))
    with op.batch_alter_table("response") as batch_op:
        batch_op.alter_column("answer_codes", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("answer") as batch_op:
        batch_op.drop_constraint(op.f("ck_answer_one_kind_of_value"), type_="check")
        batch_op.drop_column("option_code")
        batch_op.alter_column("text_value", existing_type=sa.Text(), nullable=False)


def downgrade():
    with op.batch_alter_table("answer") as batch_op:
        batch_op.add_column(sa.Column("option_code", sa.String(length=40), nullable=True))
        batch_op.alter_column("text_value", existing_type=sa.Text(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_answer_one_kind_of_value"), "(option_code IS NULL) <> (text_value IS NULL)"
        )
    connection = op.get_bind()
    for wave_id, choices in _waves(connection):
        rows = connection.execute(
            sa.select(response.c.submission_uuid, response.c.answer_codes).where(
                response.c.wave_id == wave_id
            )
        ).all()
        for start in range(0, len(rows), BATCH):
            answers = [
                {"response_uuid": key, "question_key": question_key, "option_code": options[position - 1]}
                for key, codes in rows[start : start + BATCH]
                for (question_key, options), position in zip(choices, np.frombuffer(codes, CODE), strict=True)
                if position
            ]
            if answers:
                connection.execute(answer.insert(), answers)
    with op.batch_alter_table("response") as batch_op:
        batch_op.drop_column("answer_codes")


def _encode(choices: list[tuple[str, list[str]]], given: dict[str, str]) -> bytes:
    positions = [options.index(given[key]) + 1 if key in given else 0 for key, options in choices]
    return np.asarray(positions, dtype=CODE).tobytes()
