"""patient search: the words of patients' names in an index (prefix search served by the index at any size)

Revision ID: 0012_patient_search
Revises: 0011_meeting_room
Create Date: 2026-11-24 02:35:21.242928

"""

from alembic import op
import sqlalchemy as sa

import conference.db


revision = "0012_patient_search"
down_revision = "0011_meeting_room"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "patient_name_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column(
            "term",
            sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_name_terms_patient_id_patients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_name_terms")),
    )
    with op.batch_alter_table("patient_name_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_name_terms_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("ix_patient_name_terms_term", ["term"], unique=False)

    # the names already there (the same words the service indexes: conference.patients.models.name_terms)
    import re

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, given_name, family_name FROM patients")).all()
    terms = sa.table("patient_name_terms", sa.column("patient_id", sa.Integer), sa.column("term", sa.String))
    batch = []
    for patient_id, given, family in rows:
        words = {w[:100] for name in (given, family) for w in re.split(r"[\s\-']+", (name or "").casefold()) if w}
        batch += [{"patient_id": patient_id, "term": word} for word in sorted(words)]
        if len(batch) >= 5000:
            connection.execute(terms.insert(), batch)
            batch = []
    if batch:
        connection.execute(terms.insert(), batch)


def downgrade():
    with op.batch_alter_table("patient_name_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_name_terms_term")
        batch_op.drop_index(batch_op.f("ix_patient_name_terms_patient_id"))

    op.drop_table("patient_name_terms")
