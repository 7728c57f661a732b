"""Initial schema: every table of DESIGN §4 used by the respondent flow and the staff side.

Reviewed by hand: portable enums (VARCHAR + CHECK), UTC timestamps as timezone-aware
DateTime, named constraints from the naming convention in survey_app/extensions.py, and no
column on response/answer that could identify a respondent (SECURITY P-06, P-07).

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 01:29:32.570180

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('borough',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_borough')),
    sa.UniqueConstraint('code', name=op.f('uq_borough_code')),
    sa.UniqueConstraint('name', name=op.f('uq_borough_name'))
    )
    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_key', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('question_key', sa.String(length=40), nullable=False),
    sa.Column('numerator_codes', sa.JSON(), nullable=False),
    sa.Column('base_filter', sa.JSON(), nullable=False),
    sa.Column('excluded_codes', sa.JSON(), nullable=False),
    sa.CheckConstraint('length(key) > 0', name=op.f('ck_indicator_key_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator')),
    sa.UniqueConstraint('questionnaire_key', 'key', name=op.f('uq_indicator_questionnaire_key_key'))
    )
    op.create_table('questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.Enum('pupil', 'public', name='audience', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire')),
    sa.UniqueConstraint('key', name=op.f('uq_questionnaire_key'))
    )
    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'analyst', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_user_email'))
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=60), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_audit_event_actor_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_questionnaire_version_questionnaire_id_questionnaire')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version')),
    sa.UniqueConstraint('questionnaire_id', 'number', name=op.f('uq_questionnaire_version_questionnaire_id_number'))
    )
    op.create_table('school',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('urn', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('borough_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['borough_id'], ['borough.id'], name=op.f('fk_school_borough_id_borough')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school')),
    sa.UniqueConstraint('urn', name=op.f('uq_school_urn'))
    )
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_borough_id'), ['borough_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('single', 'text', name='questionkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('wording', sa.JSON(), nullable=False),
    sa.Column('hint', sa.JSON(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('condition', sa.JSON(), nullable=True),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_version.id'], name=op.f('fk_question_version_id_questionnaire_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('version_id', 'key', name=op.f('uq_question_version_id_key')),
    sa.UniqueConstraint('version_id', 'position', name=op.f('uq_question_version_id_position'))
    )
    op.create_table('wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Enum('pupil', 'public', name='audience', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('draft', 'open', 'closed', 'published', name='wavestate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('open_link', sa.Boolean(), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_wave_closes_after_opening')),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_version.id'], name=op.f('fk_wave_version_id_questionnaire_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave')),
    sa.UniqueConstraint('name', name=op.f('uq_wave_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_wave_slug'))
    )
    op.create_table('access_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('class', 'invitation', name='codekind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('class_label', sa.String(length=60), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'class') = (school_id IS NOT NULL)", name=op.f('ck_access_code_class_codes_have_a_school')),
    sa.CheckConstraint('max_uses IS NULL OR uses <= max_uses', name=op.f('ck_access_code_uses_within_max')),
    sa.CheckConstraint('uses >= 0', name=op.f('ck_access_code_uses_not_negative')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_access_code_school_id_school')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_access_code_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_code')),
    sa.UniqueConstraint('code', name=op.f('uq_access_code_code'))
    )
    with op.batch_alter_table('access_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_code_wave_id'), ['wave_id'], unique=False)

    op.create_table('option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_missing', sa.Boolean(), nullable=False),
    sa.Column('group', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_option_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_option')),
    sa.UniqueConstraint('question_id', 'code', name=op.f('uq_option_question_id_code')),
    sa.UniqueConstraint('question_id', 'position', name=op.f('uq_option_question_id_position'))
    )
    op.create_table('population_margin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('variable', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('proportion', sa.Float(), nullable=False),
    sa.Column('count', sa.Float(), nullable=True),
    sa.Column('source_note', sa.Text(), nullable=False),
    sa.CheckConstraint('count IS NULL OR count > 0', name=op.f('ck_population_margin_count_positive')),
    sa.CheckConstraint('proportion > 0 AND proportion <= 1', name=op.f('ck_population_margin_proportion_in_range')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_population_margin_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_margin')),
    sa.UniqueConstraint('wave_id', 'variable', 'category', name=op.f('uq_population_margin_wave_id_variable_category'))
    )
    with op.batch_alter_table('population_margin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_margin_wave_id'), ['wave_id'], unique=False)

    op.create_table('response',
    sa.Column('submission_uuid', sa.Uuid(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_response_school_id_school')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_response_wave_id_wave')),
    sa.PrimaryKeyConstraint('submission_uuid', name=op.f('pk_response'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_wave_id'), ['wave_id'], unique=False)

    op.create_table('wave_school',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('expected_pupils', sa.Integer(), nullable=False),
    sa.CheckConstraint('expected_pupils >= 0', name=op.f('ck_wave_school_expected_not_negative')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_wave_school_school_id_school')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_wave_school_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave_school')),
    sa.UniqueConstraint('wave_id', 'school_id', name=op.f('uq_wave_school_wave_id_school_id'))
    )
    op.create_table('answer',
    sa.Column('response_uuid', sa.Uuid(), nullable=False),
    sa.Column('question_key', sa.String(length=40), nullable=False),
    sa.Column('option_code', sa.String(length=40), nullable=True),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.CheckConstraint('(option_code IS NULL) <> (text_value IS NULL)', name=op.f('ck_answer_one_kind_of_value')),
    sa.ForeignKeyConstraint(['response_uuid'], ['response.submission_uuid'], name=op.f('fk_answer_response_uuid_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_uuid', 'question_key', name=op.f('pk_answer'))
    )


def downgrade():
    op.drop_table('answer')
    op.drop_table('wave_school')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_wave_id'))
        batch_op.drop_index(batch_op.f('ix_response_school_id'))

    op.drop_table('response')
    with op.batch_alter_table('population_margin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_margin_wave_id'))

    op.drop_table('population_margin')
    op.drop_table('option')
    with op.batch_alter_table('access_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_code_wave_id'))

    op.drop_table('access_code')
    op.drop_table('wave')
    op.drop_table('question')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_borough_id'))

    op.drop_table('school')
    op.drop_table('questionnaire_version')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))

    op.drop_table('audit_event')
    op.drop_table('staff_user')
    op.drop_table('questionnaire')
    op.drop_table('indicator')
    op.drop_table('borough')
