"""job_file: the file a job made (exports, the council report), deleted with its job

Revision ID: b4d84870d376
Revises: 39c821c31632
Create Date: 2026-12-03 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d84870d376'
down_revision = '39c821c31632'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_file',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_file_job_id_job'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', name=op.f('pk_job_file')),
    )


def downgrade():
    op.drop_table('job_file')
