"""core: outbox_attachment (files sent with an outbox mail: calendar file, ticket QR code)

Revision ID: 5e1f0c2a9b47
Revises: c3a9d51e7f20
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0c2a9b47'
down_revision = 'c3a9d51e7f20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mail_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['mail_id'], ['outbox_mail.id'],
                                name=op.f('fk_outbox_attachment_mail_id_outbox_mail'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachment')),
    )
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachment_mail_id'), ['mail_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachment_mail_id'))
    op.drop_table('outbox_attachment')
