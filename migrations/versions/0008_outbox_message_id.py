"""outbox: a Message-ID made once per email and kept for every try

Revision ID: 0008_outbox_message_id
Revises: 0007_rehabilitation
Create Date: 2026-11-24 00:20:00

"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = "0008_outbox_message_id"
down_revision = "0007_rehabilitation"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("outbound_emails", sa.Column("message_id", sa.String(length=250), nullable=True))
    emails = sa.table("outbound_emails", sa.column("id", sa.Integer), sa.column("message_id", sa.String))
    connection = op.get_bind()
    for (email_id,) in connection.execute(sa.select(emails.c.id).where(emails.c.message_id.is_(None))).all():
        connection.execute(
            emails.update()
            .where(emails.c.id == email_id)
            .values(message_id=f"<mdt.{email_id}.{secrets.token_hex(8)}@outbox>")
        )


def downgrade():
    with op.batch_alter_table("outbound_emails", schema=None) as batch_op:
        batch_op.drop_column("message_id")
