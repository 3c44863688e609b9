"""edges of sign-on and the FHIR API: a user bound to one identity-provider account (issuer + subject), an
optional expiry of hospital-system tokens, and referral identifiers unique per sending client

Revision ID: 0015
Revises: 0014_ready_queue_index
Create Date: 2026-12-04 15:50:00

"""

import sqlalchemy as sa
from alembic import op

import conference.db

revision = "0015"
down_revision = "0014_ready_queue_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_users_oidc_issuer_subject", ["oidc_issuer", "oidc_subject"])
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", conference.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("referral_identifiers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_referral_identifiers_system_value", type_="unique")
        batch_op.create_unique_constraint(
            "uq_referral_identifiers_client_system_value", ["client_id", "system", "value"]
        )


def downgrade():
    with op.batch_alter_table("referral_identifiers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_referral_identifiers_client_system_value", type_="unique")
        batch_op.create_unique_constraint("uq_referral_identifiers_system_value", ["system", "value"])
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_oidc_issuer_subject", type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
