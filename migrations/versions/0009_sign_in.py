"""sign-in: a session generation per user (sign-out ends every session), failed sign-ins by client address

Revision ID: 0009_sign_in
Revises: 0008_outbox_message_id
Create Date: 2026-11-24 00:30:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0009_sign_in"
down_revision = "0008_outbox_message_id"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("login_failures", sa.Column("address", sa.String(length=45), nullable=True))
    op.create_index("ix_login_failures_address", "login_failures", ["address"])


def downgrade():
    op.drop_index("ix_login_failures_address", table_name="login_failures")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_column("address")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
