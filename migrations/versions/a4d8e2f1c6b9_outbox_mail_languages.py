"""outbox mail languages (issue 16 item 6): the Content-Language header of a mail whose content is in
another language than the mail's text (subject and plain text cannot mark a part)

Revision ID: a4d8e2f1c6b9
Revises: c5d1e9a7b3f2
Create Date: 2026-12-04 23:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4d8e2f1c6b9'
down_revision = 'c5d1e9a7b3f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.String(length=35), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_column('languages')
