"""lottery: the server's value of a server+public draw, drawn at the commitment (its SHA-256 is
committed) and kept here until the draw reveals it (issue 22, randomness rules)

Revision ID: e86542ad9b3b
Revises: 45bec59729dc
Create Date: 2026-12-03 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e86542ad9b3b'
down_revision = '45bec59729dc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lottery_draw', schema=None) as batch_op:
        batch_op.add_column(sa.Column('server_value', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('lottery_draw', schema=None) as batch_op:
        batch_op.drop_column('server_value')
