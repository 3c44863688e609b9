"""radiograph measurements: the landmarks, calibration and computed values behind a case measurement made on a
standing long-leg radiograph

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 16:00:00

"""

from alembic import op
import sqlalchemy as sa

import conference.db


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "radiograph_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measurement_id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("landmarks", sa.JSON(), nullable=False),
        sa.Column("calibration", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("recorded_side", sa.String(length=10), nullable=False),
        sa.Column("ranges_source", sa.String(length=300), nullable=False),
        sa.Column("measured_by_id", sa.Integer(), nullable=True),
        sa.Column("measured_at", conference.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"], ["case_images.id"], name=op.f("fk_radiograph_measurements_image_id_case_images")
        ),
        sa.ForeignKeyConstraint(
            ["measured_by_id"], ["users.id"], name=op.f("fk_radiograph_measurements_measured_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["measurement_id"],
            ["measurements.id"],
            name=op.f("fk_radiograph_measurements_measurement_id_measurements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radiograph_measurements")),
        sa.UniqueConstraint("measurement_id", name=op.f("uq_radiograph_measurements_measurement_id")),
    )
    op.create_index(op.f("ix_radiograph_measurements_image_id"), "radiograph_measurements", ["image_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_radiograph_measurements_image_id"), table_name="radiograph_measurements")
    op.drop_table("radiograph_measurements")
