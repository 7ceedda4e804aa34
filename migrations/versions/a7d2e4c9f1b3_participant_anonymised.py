"""participation: participant.anonymised_at, email nullable (the retention purge erases it)

Revision ID: a7d2e4c9f1b3
Revises: bca7f38dac8f
Create Date: 2026-12-07 08:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d2e4c9f1b3'
down_revision = 'bca7f38dac8f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)


def downgrade():
    op.execute("DELETE FROM participant WHERE email IS NULL")
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
        batch_op.drop_column('anonymised_at')
