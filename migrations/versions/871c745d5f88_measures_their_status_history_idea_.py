"""measures, their status history, idea links and imports; application opt-in to measure mails

Revision ID: 871c745d5f88
Revises: 8970bb95f0b0
Create Date: 2026-12-01 13:43:59.096190

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '871c745d5f88'
down_revision = '8970bb95f0b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('chapter', sa.String(length=200), nullable=False),
    sa.Column('office', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_date', sa.Date(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'adopted', 'in_progress', 'done', 'rejected')", name=op.f('ck_measure_known_status')),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_measure_progress_is_percent')),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_measure_process_id_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure')),
    sa.UniqueConstraint('process_id', 'title', name=op.f('uq_measure_process_id_title'))
    )
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_process_id'), ['process_id'], unique=False)

    op.create_table('measure_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('rows', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_measure_import_process_id_process'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_measure_import_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_import'))
    )
    with op.batch_alter_table('measure_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_import_process_id'), ['process_id'], unique=False)

    op.create_table('measure_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('changed_on', sa.Date(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("to_status IN ('proposed', 'adopted', 'in_progress', 'done', 'rejected')", name=op.f('ck_measure_status_change_known_status')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_measure_status_change_measure_id_measure'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_measure_status_change_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_status_change'))
    )
    with op.batch_alter_table('measure_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_status_change_measure_id'), ['measure_id'], unique=False)

    op.create_table('idea_not_taken',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], name=op.f('fk_idea_not_taken_idea_id_idea'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_idea_not_taken_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idea_not_taken')),
    sa.UniqueConstraint('idea_id', name=op.f('uq_idea_not_taken_idea_id'))
    )
    op.create_table('measure_idea',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_measure_idea_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], name=op.f('fk_measure_idea_idea_id_idea'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_measure_idea_measure_id_measure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_idea')),
    sa.UniqueConstraint('measure_id', 'idea_id', name=op.f('uq_measure_idea_measure_id_idea_id'))
    )
    with op.batch_alter_table('measure_idea', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_idea_idea_id'), ['idea_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measure_idea_measure_id'), ['measure_id'], unique=False)

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_measures', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('notify_measures')

    with op.batch_alter_table('measure_idea', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_idea_measure_id'))
        batch_op.drop_index(batch_op.f('ix_measure_idea_idea_id'))

    op.drop_table('measure_idea')
    op.drop_table('idea_not_taken')
    with op.batch_alter_table('measure_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_status_change_measure_id'))

    op.drop_table('measure_status_change')
    with op.batch_alter_table('measure_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_import_process_id'))

    op.drop_table('measure_import')
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_process_id'))

    op.drop_table('measure')
