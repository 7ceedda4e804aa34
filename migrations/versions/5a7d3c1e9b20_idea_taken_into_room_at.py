"""idea.taken_into_room_at (issue 18, moderation): a moderator took an online idea into the
room's list

Revision ID: 5a7d3c1e9b20
Revises: c3d9e5f1a2b4
Create Date: 2026-12-04 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a7d3c1e9b20'
down_revision = 'c3d9e5f1a2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_into_room_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.drop_column('taken_into_room_at')
