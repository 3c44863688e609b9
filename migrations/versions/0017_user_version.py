"""users.version: the admin's edit form carries it, so two admins editing one account do not overwrite each other

Revision ID: 0017
Revises: 0014_ready_queue_index
Create Date: 2026-12-04 16:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0014_ready_queue_index'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN with a default: no table rebuild on SQLite (the users table is referenced everywhere).
    op.add_column('users', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('version')
