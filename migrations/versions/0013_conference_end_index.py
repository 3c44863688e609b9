"""an index on conferences.ends_at: the conference list and the archive select and count by it (bench/explain.py
found them scanning the table at 100k cases)

Revision ID: 0013_conference_end_index
Revises: 0012_patient_search
Create Date: 2026-11-24 03:20:00

"""

from alembic import op


revision = "0013_conference_end_index"
down_revision = "0012_patient_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_conferences_ends_at", "conferences", ["ends_at"], unique=False)


def downgrade():
    op.drop_index("ix_conferences_ends_at", table_name="conferences")
