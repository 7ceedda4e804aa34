"""support (issue 18): a confirmed online participant's backing of an idea, one per idea and
participant

Revision ID: b7e1c4d9a2f6
Revises: d4e8a2c6b1f3
Create Date: 2026-12-04 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c4d9a2f6'
down_revision = 'd4e8a2c6b1f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], name=op.f('fk_support_idea_id_idea'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_support_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support')),
    sa.UniqueConstraint('participant_id', 'idea_id', name=op.f('uq_support_participant_id_idea_id'))
    )
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_idea_id'), ['idea_id'], unique=False)


def downgrade():
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_idea_id'))
    op.drop_table('support')
