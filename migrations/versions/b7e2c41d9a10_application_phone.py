"""application.phone (issue 17, answering an invitation): an invitee may give a phone number
instead of an email address

Revision ID: b7e2c41d9a10
Revises: 961de94eaa87
Create Date: 2026-12-03 16:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c41d9a10'
down_revision = '961de94eaa87'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('phone')
