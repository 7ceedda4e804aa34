"""invitation reminder runs (issue 17): the history of reminder runs, with the new answer deadline a run sets

Revision ID: c5d1e9a7b3f2
Revises: b7e1c4d9a2f6
Create Date: 2026-12-04 22:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5d1e9a7b3f2'
down_revision = 'b7e1c4d9a2f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitation_reminder_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('not_answered_by', sa.Date(), nullable=False),
    sa.Column('again', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('previous_deadline', sa.DateTime(), nullable=True),
    sa.Column('new_deadline', sa.DateTime(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_invitation_reminder_run_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['draw_id'], ['invitation_draw.id'], name=op.f('fk_invitation_reminder_run_draw_id_invitation_draw'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_reminder_run'))
    )
    with op.batch_alter_table('invitation_reminder_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_reminder_run_draw_id'), ['draw_id'], unique=False)
    # The runs before this table: one per draw and moment of reminded_at (who and which date are not known).
    day = "date(reminded_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(reminded_at AS DATE)"
    op.execute("INSERT INTO invitation_reminder_run (draw_id, at, not_answered_by, again, count) "
               f"SELECT draw_id, reminded_at, {day}, false, count(*) FROM invitation "
               "WHERE reminded_at IS NOT NULL GROUP BY draw_id, reminded_at")


def downgrade():
    with op.batch_alter_table('invitation_reminder_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_reminder_run_draw_id'))
    op.drop_table('invitation_reminder_run')
