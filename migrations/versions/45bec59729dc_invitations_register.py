"""invitations: register extract (with the file until import), households, persons, invitation draw, invitations (issue 17)

Revision ID: 45bec59729dc
Revises: b4d84870d376
Create Date: 2026-12-03 11:13:40.319349

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '45bec59729dc'
down_revision = 'b4d84870d376'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('register_extract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('file_format', sa.String(length=10), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=True),
    sa.Column('delimiter', sa.String(length=4), nullable=True),
    sa.Column('mapping_json', sa.Text(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('household_count', sa.Integer(), nullable=False),
    sa.Column('errors_json', sa.Text(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=True),
    sa.Column('retain_until', sa.DateTime(), nullable=True),
    sa.Column('purged_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('uploaded', 'importing', 'imported', 'purged')", name=op.f('ck_register_extract_known_state')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_register_extract_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_register_extract_job_id_job'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_register_extract_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_extract'))
    )
    with op.batch_alter_table('register_extract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_extract_event_id'), ['event_id'], unique=False)

    op.create_table('invitation_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('letters', sa.Integer(), nullable=False),
    sa.Column('plan_json', sa.Text(), nullable=False),
    sa.Column('number_source_kind', sa.String(length=10), nullable=False),
    sa.Column('number_source', sa.String(length=600), nullable=False),
    sa.Column('algorithm_version', sa.String(length=20), nullable=False),
    sa.Column('register_sha256', sa.String(length=64), nullable=True),
    sa.Column('plan_sha256', sa.String(length=64), nullable=True),
    sa.Column('commitment', sa.String(length=64), nullable=True),
    sa.Column('public_value', sa.String(length=200), nullable=True),
    sa.Column('record_json', sa.Text(), nullable=True),
    sa.Column('answer_deadline', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=True),
    sa.Column('committed_by_id', sa.Integer(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(), nullable=True),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.Column('supersede_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('planned', 'committed', 'drawn', 'superseded')", name=op.f('ck_invitation_draw_known_state')),
    sa.CheckConstraint('letters >= 0', name=op.f('ck_invitation_draw_letters_not_negative')),
    sa.ForeignKeyConstraint(['committed_by_id'], ['user.id'], name=op.f('fk_invitation_draw_committed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['user.id'], name=op.f('fk_invitation_draw_drawn_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_invitation_draw_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['extract_id'], ['register_extract.id'], name=op.f('fk_invitation_draw_extract_id_register_extract'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_draw')),
    sa.UniqueConstraint('event_id', 'attempt', name=op.f('uq_invitation_draw_event_id_attempt'))
    )
    with op.batch_alter_table('invitation_draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_draw_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_draw_extract_id'), ['extract_id'], unique=False)
        batch_op.create_index('uq_invitation_draw_one_active_per_event', ['event_id'], unique=True, sqlite_where=sa.text("state != 'superseded'"), postgresql_where=sa.text("state != 'superseded'"))

    op.create_table('register_household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('pseudonym', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['extract_id'], ['register_extract.id'], name=op.f('fk_register_household_extract_id_register_extract'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_household')),
    sa.UniqueConstraint('extract_id', 'key', name=op.f('uq_register_household_extract_id_key')),
    sa.UniqueConstraint('extract_id', 'pseudonym', name=op.f('uq_register_household_extract_id_pseudonym'))
    )
    with op.batch_alter_table('register_household', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_household_extract_id'), ['extract_id'], unique=False)

    op.create_table('register_upload',
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['extract_id'], ['register_extract.id'], name=op.f('fk_register_upload_extract_id_register_extract'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('extract_id', name=op.f('pk_register_upload'))
    )
    op.create_table('register_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('pseudonym', sa.String(length=16), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=200), nullable=False),
    sa.Column('family_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('house_number', sa.String(length=30), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('town', sa.String(length=120), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('gender', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['extract_id'], ['register_extract.id'], name=op.f('fk_register_person_extract_id_register_extract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['register_household.id'], name=op.f('fk_register_person_household_id_register_household'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_person')),
    sa.UniqueConstraint('extract_id', 'pseudonym', name=op.f('uq_register_person_extract_id_pseudonym'))
    )
    with op.batch_alter_table('register_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_person_extract_id'), ['extract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_person_household_id'), ['household_id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('pseudonym', sa.String(length=16), nullable=False),
    sa.Column('stratum', sa.String(length=200), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_nonce', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('invited', 'reminded', 'answered')", name=op.f('ck_invitation_known_state')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_invitation_application_id_application'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['draw_id'], ['invitation_draw.id'], name=op.f('fk_invitation_draw_id_invitation_draw'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_invitation_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['register_person.id'], name=op.f('fk_invitation_person_id_register_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('application_id', name=op.f('uq_invitation_application_id')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_invitation_code_hash')),
    sa.UniqueConstraint('draw_id', 'pseudonym', name=op.f('uq_invitation_draw_id_pseudonym'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_draw_id'), ['draw_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_state'), ['state'], unique=False)



def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_state'))
        batch_op.drop_index(batch_op.f('ix_invitation_person_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_event_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_draw_id'))

    op.drop_table('invitation')
    with op.batch_alter_table('register_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_person_household_id'))
        batch_op.drop_index(batch_op.f('ix_register_person_extract_id'))

    op.drop_table('register_person')
    op.drop_table('register_upload')
    with op.batch_alter_table('register_household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_household_extract_id'))

    op.drop_table('register_household')
    with op.batch_alter_table('invitation_draw', schema=None) as batch_op:
        batch_op.drop_index('uq_invitation_draw_one_active_per_event', sqlite_where=sa.text("state != 'superseded'"), postgresql_where=sa.text("state != 'superseded'"))
        batch_op.drop_index(batch_op.f('ix_invitation_draw_extract_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_draw_event_id'))

    op.drop_table('invitation_draw')
    with op.batch_alter_table('register_extract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_extract_event_id'))

    op.drop_table('register_extract')
