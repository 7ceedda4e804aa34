"""lottery: how a seat was given up (release_channel: the applicant's link, staff on behalf, the deadline)

Revision ID: 39c821c31632
Revises: a91c4f7d2b58
Create Date: 2026-12-03 05:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '39c821c31632'
down_revision = 'a91c4f7d2b58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lottery_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_channel', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('lottery_entry', schema=None) as batch_op:
        batch_op.drop_column('release_channel')
