"""meeting room: the case on the big screen and a revision that followers poll

Revision ID: 0011_meeting_room
Revises: 0010_integrations
Create Date: 2026-11-24 01:55:47.152917

"""

from alembic import op
import sqlalchemy as sa

import conference.db


revision = "0011_meeting_room"
down_revision = "0010_integrations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_rooms",
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("current_item_id", sa.Integer(), nullable=True),
        sa.Column("current_since", conference.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["conferences.id"],
            name=op.f("fk_meeting_rooms_conference_id_conferences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["current_item_id"],
            ["agenda_items.id"],
            name=op.f("fk_meeting_rooms_current_item_id_agenda_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("conference_id", name=op.f("pk_meeting_rooms")),
    )


def downgrade():
    op.drop_table("meeting_rooms")
