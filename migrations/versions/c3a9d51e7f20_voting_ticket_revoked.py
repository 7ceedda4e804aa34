"""voting: ticket revoked_at and revoke_reason (a seat given back ends its ticket)

Tickets of applications that no longer hold a confirmed seat (and participant tickets
whose application was deleted) are marked revoked, so existing data follows the rule.

Revision ID: c3a9d51e7f20
Revises: 07a8adba29c7
Create Date: 2026-12-01 14:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9d51e7f20'
down_revision = '07a8adba29c7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sa.String(length=20), nullable=True))

    op.execute(
        "UPDATE ticket SET revoked_at = CURRENT_TIMESTAMP, revoke_reason = 'migrated' "
        "WHERE (application_id IS NOT NULL AND application_id IN "
        "(SELECT id FROM application WHERE status <> 'confirmed')) "
        "OR (application_id IS NULL AND kind = 'participant')")


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('revoke_reason')
        batch_op.drop_column('revoked_at')
