"""the ready queue read in order from an index: ready cases by priority, then by referral time (bench/explain.py
found PostgreSQL sorting a sequential scan of cases for it at 100k cases)

Revision ID: 0014_ready_queue_index
Revises: 0013_conference_end_index
Create Date: 2026-11-24 04:30:00

"""

from alembic import op


revision = "0014_ready_queue_index"
down_revision = "0013_conference_end_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_cases_status_priority_referred_at", "cases", ["status", "priority", "referred_at", "id"], unique=False
    )


def downgrade():
    op.drop_index("ix_cases_status_priority_referred_at", table_name="cases")
