"""online participation (issue 18): participants, online phases per event, moderation settings
per process; ideas get a channel (room/online), a participant, a moderation state and withdrawn_at

Revision ID: 961de94eaa87
Revises: 4bd3950635c9
Create Date: 2026-12-03 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '961de94eaa87'
down_revision = '4bd3950635c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'online_phase',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('opens_at', sa.DateTime(), nullable=True),
        sa.Column('closes_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('before', 'after')", name=op.f('ck_online_phase_known_kind')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_online_phase_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_online_phase')),
        sa.UniqueConstraint('event_id', 'kind', name=op.f('uq_online_phase_event_id_kind')),
    )
    with op.batch_alter_table('online_phase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_online_phase_event_id'), ['event_id'], unique=False)

    op.create_table(
        'online_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_id', sa.Integer(), nullable=False),
        sa.Column('moderation', sa.String(length=10), nullable=False),
        sa.Column('netiquette', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("moderation IN ('pre', 'post')", name=op.f('ck_online_settings_known_moderation')),
        sa.ForeignKeyConstraint(['process_id'], ['process.id'],
                                name=op.f('fk_online_settings_process_id_process'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_online_settings')),
        sa.UniqueConstraint('process_id', name=op.f('uq_online_settings_process_id')),
    )

    op.create_table(
        'participant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_id', sa.Integer(), nullable=False),
        sa.Column('display_name', sa.String(length=80), nullable=False),
        sa.Column('show_name_publicly', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('consent_at', sa.DateTime(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('blocked_at', sa.DateTime(), nullable=True),
        sa.Column('blocked_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['blocked_by_id'], ['user.id'], name=op.f('fk_participant_blocked_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_participant_process_id_process'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
        sa.UniqueConstraint('process_id', 'email', name=op.f('uq_participant_process_id_email')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_participant_token_hash')),
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_process_id'), ['process_id'], unique=False)

    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='room', nullable=False))
        batch_op.add_column(sa.Column('participant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('moderation', sa.String(length=10), server_default='visible',
                                      nullable=False))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_idea_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_idea_participant_id'), ['participant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_idea_participant_id_participant'), 'participant',
                                    ['participant_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint('known_channel', "channel IN ('room', 'online')")
        batch_op.create_check_constraint('known_moderation', "moderation IN ('visible', 'pending')")


def downgrade():
    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_idea_known_moderation'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_idea_known_channel'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_idea_participant_id_participant'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_idea_participant_id'))
        batch_op.drop_index(batch_op.f('ix_idea_channel'))
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('moderation')
        batch_op.drop_column('participant_id')
        batch_op.drop_column('channel')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_process_id'))
    op.drop_table('participant')
    op.drop_table('online_settings')
    with op.batch_alter_table('online_phase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_online_phase_event_id'))
    op.drop_table('online_phase')
