"""Each wave's schools get a selection weight: the base weight of their pupils' responses.

Reviewed by hand: a number per wave and school, 1 for every existing row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wave_school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('selection_weight', sa.Float(), server_default='1',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_wave_school_selection_weight_positive'),
                                         'selection_weight > 0')


def downgrade():
    with op.batch_alter_table('wave_school', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_wave_school_selection_weight_positive'), type_='check')
        batch_op.drop_column('selection_weight')
