"""growth prediction: bone-age method and long-leg bone lengths on measurements; the prediction on decisions

Revision ID: 0005_growth_prediction
Revises: 0004_meetings
Create Date: 2026-11-23 23:20:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0005_growth_prediction"
down_revision = "0004_meetings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bone_age_method", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("femur_length_mm", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("tibia_length_mm", sa.Float(), nullable=True))
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prediction", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("prediction")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_column("tibia_length_mm")
        batch_op.drop_column("femur_length_mm")
        batch_op.drop_column("bone_age_method")
