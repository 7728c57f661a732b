"""A weight run's weights as two arrays on the run instead of a row per response.

Reviewed by hand: the same numbers move, nothing is added. Writing a million weights as rows
cost a primary-key and two foreign-key checks per row (18 of the 54 s a 1M-response release
took on PostgreSQL); a run's weights are only ever written once and read whole. Existing runs
are converted in both directions: keys are the responses' UUIDs as 16 bytes, weights are
little-endian float64, in the same order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:10:00
"""
import struct
import uuid
from itertools import groupby

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _response_weight_table():
    return op.create_table('response_weight',
    sa.Column('weight_run_id', sa.Integer(), nullable=False),
    sa.Column('response_uuid', sa.Uuid(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['response_uuid'], ['response.submission_uuid'], name=op.f('fk_response_weight_response_uuid_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['weight_run_id'], ['weight_run.id'], name=op.f('fk_response_weight_weight_run_id_weight_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('weight_run_id', 'response_uuid', name=op.f('pk_response_weight'))
    )


def upgrade():
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_keys', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('weights', sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    weight_run = sa.table('weight_run', sa.column('id'), sa.column('response_keys', sa.LargeBinary), sa.column('weights', sa.LargeBinary))
    response_weight = sa.table('response_weight', sa.column('weight_run_id'), sa.column('response_uuid', sa.Uuid), sa.column('weight'))
    rows = bind.execute(sa.select(response_weight).order_by(response_weight.c.weight_run_id)).all()
    for run_id, run_rows in groupby(rows, key=lambda row: row.weight_run_id):
        run_rows = list(run_rows)
        bind.execute(
            weight_run.update().where(weight_run.c.id == run_id).values(
                response_keys=b"".join(row.response_uuid.bytes for row in run_rows),
                weights=struct.pack(f"<{len(run_rows)}d", *(row.weight for row in run_rows)),
            )
        )
    bind.execute(weight_run.update().where(weight_run.c.weights.is_(None)).values(response_keys=b"", weights=b""))
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.alter_column('response_keys', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('weights', existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table('response_weight')


def downgrade():
    response_weight = _response_weight_table()
    bind = op.get_bind()
    for run_id, keys, weights in bind.execute(sa.text('SELECT id, response_keys, weights FROM weight_run')).all():
        keys, weights = bytes(keys), bytes(weights)
        values = struct.unpack(f"<{len(weights) // 8}d", weights)
        rows = [
            {"weight_run_id": run_id, "response_uuid": uuid.UUID(bytes=keys[16 * i : 16 * i + 16]), "weight": value}
            for i, value in enumerate(values)
        ]
        if rows:
            op.bulk_insert(response_weight, rows)
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.drop_column('weights')
        batch_op.drop_column('response_keys')
