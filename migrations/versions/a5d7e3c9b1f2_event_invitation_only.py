"""event.invitation_only (issue 17): only invitees of the register draw apply, with their code; the
public application form is closed (False: mixed or open call)

Revision ID: a5d7e3c9b1f2
Revises: 5a7d3c1e9b20
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5d7e3c9b1f2'
down_revision = '5a7d3c1e9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_only', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('invitation_only')
