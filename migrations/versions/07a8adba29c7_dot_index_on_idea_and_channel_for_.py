"""dot: index (idea_id, channel) instead of (idea_id), so the results count dots per idea and channel from the index alone

Revision ID: 07a8adba29c7
Revises: 871c745d5f88
Create Date: 2026-12-01 14:38:10.919292

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '07a8adba29c7'
down_revision = '871c745d5f88'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_dot_idea_id_channel', 'dot', ['idea_id', 'channel'], unique=False)
    op.drop_index('ix_dot_idea_id', table_name='dot')


def downgrade():
    op.create_index('ix_dot_idea_id', 'dot', ['idea_id'], unique=False)
    op.drop_index('ix_dot_idea_id_channel', table_name='dot')
