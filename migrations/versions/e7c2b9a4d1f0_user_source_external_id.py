"""accounts: user.source, user.external_id, user.directory_checked_at (LDAP / OIDC sign-in)

Revision ID: e7c2b9a4d1f0
Revises: d4e8a1f3b6c2
Create Date: 2026-12-02 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c2b9a4d1f0'
down_revision = 'd4e8a1f3b6c2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='local', nullable=False))
        batch_op.add_column(sa.Column('external_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('directory_checked_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_source_external_id'), ['source', 'external_id'])
        batch_op.create_check_constraint('known_source', "source IN ('local', 'ldap', 'oidc')")
        batch_op.create_check_constraint('external_id_iff_external',
                                         "(source = 'local') = (external_id IS NULL)")


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('external_id_iff_external', type_='check')
        batch_op.drop_constraint('known_source', type_='check')
        batch_op.drop_constraint(batch_op.f('uq_user_source_external_id'), type_='unique')
        batch_op.drop_column('directory_checked_at')
        batch_op.drop_column('external_id')
        batch_op.drop_column('source')
