"""participation: support index (idea_id, participant_id) instead of (idea_id)

The results and the idea lists count distinct participants per merge group; with both columns in
the index PostgreSQL reads them from the index alone (bench/online.py, issue 18).

Revision ID: c4e8a2f6b1d9
Revises: a7d2e4c9f1b3
Create Date: 2026-12-07 16:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e8a2f6b1d9'
down_revision = 'a7d2e4c9f1b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.create_index('ix_support_idea_id_participant_id', ['idea_id', 'participant_id'], unique=False)
        batch_op.drop_index('ix_support_idea_id')


def downgrade():
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.create_index('ix_support_idea_id', ['idea_id'], unique=False)
        batch_op.drop_index('ix_support_idea_id_participant_id')
