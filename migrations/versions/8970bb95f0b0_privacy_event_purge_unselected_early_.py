"""privacy: event purge_unselected_early, application anonymised_at

Revision ID: 8970bb95f0b0
Revises: ba0de3b1d9d9
Create Date: 2026-12-01 13:42:12.519150

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8970bb95f0b0'
down_revision = 'ba0de3b1d9d9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purge_unselected_early', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('purge_unselected_early')

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

