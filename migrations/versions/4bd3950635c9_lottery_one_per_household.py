"""lottery: event.lottery_one_per_household, application.household_key (issue 21 item 1)

At most one seat per household: the event's setting, and the key that groups applications into
households (set by the register invitations; None: the applicant's own household).

Revision ID: 4bd3950635c9
Revises: e86542ad9b3b
Create Date: 2026-12-03 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4bd3950635c9'
down_revision = 'e86542ad9b3b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lottery_one_per_household', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_application_household_key'), ['household_key'], unique=False)


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_household_key'))
        batch_op.drop_column('household_key')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('lottery_one_per_household')
