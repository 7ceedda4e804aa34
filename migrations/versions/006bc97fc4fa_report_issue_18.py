"""report (issue 18): reports of ideas and comments as against the netiquette, one per
participant and item

Revision ID: 006bc97fc4fa
Revises: 1be967ae2e5c
Create Date: 2026-12-04 22:56:10.076236

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '006bc97fc4fa'
down_revision = '1be967ae2e5c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('details', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(idea_id IS NULL) <> (comment_id IS NULL)', name=op.f('ck_report_one_item')),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_report_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], name=op.f('fk_report_idea_id_idea'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_report_participant_id_participant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_report_resolved_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report')),
    sa.UniqueConstraint('participant_id', 'comment_id', name=op.f('uq_report_participant_id_comment_id')),
    sa.UniqueConstraint('participant_id', 'idea_id', name=op.f('uq_report_participant_id_idea_id'))
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_idea_id'), ['idea_id'], unique=False)



def downgrade():
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_idea_id'))
        batch_op.drop_index(batch_op.f('ix_report_comment_id'))

    op.drop_table('report')
