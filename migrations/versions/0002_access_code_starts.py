"""Count surveys begun per access code, for the fieldwork monitor's completion rate.

Reviewed by hand: a bare counter with a server default, so existing rows read 0; no timestamp,
so it cannot be matched to a response (SECURITY P-07).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:16:13
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('access_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('access_code', schema=None) as batch_op:
        batch_op.drop_column('starts')
