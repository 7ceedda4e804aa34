"""accessibility: sign_language_video; process.easy_summary and event.easy_summary (Leichte Sprache)

Revision ID: a91c4f7d2b58
Revises: e7b2c9d4a1f0
Create Date: 2026-12-02 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a91c4f7d2b58'
down_revision = 'e7b2c9d4a1f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_language_video',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('section', sa.String(length=40), nullable=False),
        sa.Column('file_name', sa.String(length=80), nullable=False),
        sa.Column('media_type', sa.String(length=20), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('captions', sa.Text(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_sign_language_video_uploaded_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_language_video')),
        sa.UniqueConstraint('section', name=op.f('uq_sign_language_video_section')),
    )
    with op.batch_alter_table('process', schema=None) as batch_op:
        batch_op.add_column(sa.Column('easy_summary', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('easy_summary', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('easy_summary')
    with op.batch_alter_table('process', schema=None) as batch_op:
        batch_op.drop_column('easy_summary')
    op.drop_table('sign_language_video')
