"""Weight runs, the weights per response, and releases of published tables.

Reviewed by hand: response_weight holds only a run, a response and a number (nothing that
identifies anyone); a release's published content is protected from change in the ORM.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:47:32
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('weight_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('margins', sa.JSON(), nullable=False),
    sa.Column('converged', sa.Boolean(), nullable=False),
    sa.Column('iterations', sa.Integer(), nullable=False),
    sa.Column('max_error', sa.Float(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('diagnostics', sa.JSON(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_weight_run_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_weight_run_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weight_run'))
    )
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weight_run_wave_id'), ['wave_id'], unique=False)

    op.create_table('release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('weight_run_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum('draft', 'published', 'superseded', name='releasestate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('tables', sa.JSON(), nullable=False),
    sa.Column('methodology', sa.Text(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('prepared_by_id', sa.Integer(), nullable=True),
    sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['prepared_by_id'], ['staff_user.id'], name=op.f('fk_release_prepared_by_id_staff_user')),
    sa.ForeignKeyConstraint(['published_by_id'], ['staff_user.id'], name=op.f('fk_release_published_by_id_staff_user')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['release.id'], name=op.f('fk_release_supersedes_id_release')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_release_wave_id_wave')),
    sa.ForeignKeyConstraint(['weight_run_id'], ['weight_run.id'], name=op.f('fk_release_weight_run_id_weight_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release'))
    )
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_wave_id'), ['wave_id'], unique=False)

    op.create_table('response_weight',
    sa.Column('weight_run_id', sa.Integer(), nullable=False),
    sa.Column('response_uuid', sa.Uuid(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['response_uuid'], ['response.submission_uuid'], name=op.f('fk_response_weight_response_uuid_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['weight_run_id'], ['weight_run.id'], name=op.f('fk_response_weight_weight_run_id_weight_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('weight_run_id', 'response_uuid', name=op.f('pk_response_weight'))
    )


def downgrade():
    op.drop_table('response_weight')
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_wave_id'))

    op.drop_table('release')
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weight_run_wave_id'))

    op.drop_table('weight_run')
