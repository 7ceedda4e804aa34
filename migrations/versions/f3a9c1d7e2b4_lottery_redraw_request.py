"""lottery: a re-draw is requested by one admin and approved by a second (redraw_requested_*)

Revision ID: f3a9c1d7e2b4
Revises: e7c2b9a4d1f0
Create Date: 2026-12-02 21:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c1d7e2b4'
down_revision = 'e7c2b9a4d1f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lottery_draw', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redraw_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('redraw_requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('redraw_request_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key('fk_lottery_draw_redraw_requested_by_id_user', 'user',
                                    ['redraw_requested_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('lottery_draw', schema=None) as batch_op:
        batch_op.drop_constraint('fk_lottery_draw_redraw_requested_by_id_user', type_='foreignkey')
        batch_op.drop_column('redraw_request_reason')
        batch_op.drop_column('redraw_requested_by_id')
        batch_op.drop_column('redraw_requested_at')
