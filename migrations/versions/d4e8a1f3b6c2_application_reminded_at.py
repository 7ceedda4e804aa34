"""events: application.reminded_at (at most one reminder mail per day for a duplicate)

Revision ID: d4e8a1f3b6c2
Revises: 5e1f0c2a9b47
Create Date: 2026-12-02 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8a1f3b6c2'
down_revision = '5e1f0c2a9b47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
