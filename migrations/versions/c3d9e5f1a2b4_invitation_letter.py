"""invitation_draw.letter_json (issue 17, letters): the city's letter (sender, subject, text with
placeholders, signature) for the invitation letters of a draw

Revision ID: c3d9e5f1a2b4
Revises: b7e2c41d9a10
Create Date: 2026-12-03 17:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9e5f1a2b4'
down_revision = 'b7e2c41d9a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation_draw', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_json', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('invitation_draw', schema=None) as batch_op:
        batch_op.drop_column('letter_json')
