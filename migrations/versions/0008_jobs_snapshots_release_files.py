"""Background jobs, a results snapshot per weight run, and a published release's stored files.

Reviewed by hand: nothing here identifies a respondent. A job row is what the wave page reads
while RQ (or the request itself) runs the work; the partial unique index allows one queued or
running job per wave, so two weighings of a wave cannot interleave. Existing runs get no
snapshot (the wave page asks for a new weighting); files of releases published before this
revision are rendered and stored on their first download. A run keeps its newest submission day,
and responses are indexed by wave and day (replacing the index by wave alone, which it serves
too), so "responses since this weighting" reads a few days of one wave, not all of it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:04:48
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('on_last_day', sa.Integer(), nullable=True))
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_wave_id_submitted_on', ['wave_id', 'submitted_on'], unique=False)
        batch_op.drop_index(batch_op.f('ix_response_wave_id'))

    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('weigh', 'draft', 'publish', name='jobkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='jobstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=80), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_job_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_job_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_wave_id'), ['wave_id'], unique=False)
        batch_op.create_index('uq_job_one_active_per_wave', ['wave_id'], unique=True, sqlite_where=sa.text("state IN ('queued', 'running')"), postgresql_where=sa.text("state IN ('queued', 'running')"))

    op.create_table('results_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('weight_run_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['weight_run_id'], ['weight_run.id'], name=op.f('fk_results_snapshot_weight_run_id_weight_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results_snapshot')),
    sa.UniqueConstraint('weight_run_id', name=op.f('uq_results_snapshot_weight_run_id'))
    )
    op.create_table('release_file',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], name=op.f('fk_release_file_release_id_release')),
    sa.PrimaryKeyConstraint('release_id', 'format', name=op.f('pk_release_file'))
    )


def downgrade():
    op.drop_table('release_file')
    op.drop_table('results_snapshot')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('uq_job_one_active_per_wave', sqlite_where=sa.text("state IN ('queued', 'running')"), postgresql_where=sa.text("state IN ('queued', 'running')"))
        batch_op.drop_index(batch_op.f('ix_job_wave_id'))

    op.drop_table('job')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_wave_id'), ['wave_id'], unique=False)
        batch_op.drop_index('ix_response_wave_id_submitted_on')
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.drop_column('on_last_day')
        batch_op.drop_column('last_day')
