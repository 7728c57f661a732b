"""Held responses (per-code cap), a free-text retention period per wave, and an audit log
that PostgreSQL itself keeps append-only.

Reviewed by hand: two columns with defaults for existing rows; on PostgreSQL a trigger that
refuses UPDATE and DELETE on audit_event for every user, the app's own included.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

REFUSE = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_retention_days', sa.Integer(), server_default='730',
                                      nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE)
        op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                   "ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_column('text_retention_days')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('held')
