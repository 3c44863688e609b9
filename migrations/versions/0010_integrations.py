"""integrations: bearer-token clients for the FHIR API, and the identifiers referrals arrived with (idempotent intake)

Revision ID: 0010_integrations
Revises: 0009_sign_in
Create Date: 2026-11-24 01:43:13.458517

"""

from alembic import op
import sqlalchemy as sa

import conference.db


revision = "0010_integrations"
down_revision = "0009_sign_in"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("token_hint", sa.String(length=12), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", conference.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", conference.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", conference.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_api_clients_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_clients_token_sha256")),
    )
    op.create_table(
        "referral_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("received_at", conference.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_referral_identifiers_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_clients.id"], name=op.f("fk_referral_identifiers_client_id_api_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_identifiers")),
        sa.UniqueConstraint("system", "value", name="uq_referral_identifiers_system_value"),
    )
    with op.batch_alter_table("referral_identifiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_identifiers_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("referral_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_identifiers_case_id"))

    op.drop_table("referral_identifiers")
    op.drop_table("api_clients")
