"""users.version: the admin's edit form carries it, so two admins editing one account do not overwrite each other;
case history notes the application wrote are stored as codes (they were stored as Swedish or English labels);
rehabilitation follow-ups and adaptations are corrected by a new row that names the one it corrects

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 16:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


# code -> the labels it was stored as (Swedish first: the unit's language, what a downgrade writes back)
NOTE_CODES = {
    "code:missing_information": ("Obligatoriska uppgifter saknas", "Required information missing"),
    "code:not_discussed": ("Inte diskuterat; tillbaka till kön", "Not discussed; back to the ready queue"),
    "code:treatment:no_treatment": ("Ingen behandling", "No treatment"),
    "code:treatment:insoles": ("Inlägg / klackförhöjning", "Insoles / shoe raise"),
    "code:treatment:epiphysiodesis": ("Epifysiodes / tillväxtstyrning", "Epiphysiodesis / growth modulation"),
    "code:treatment:lengthening_frame": ("Förlängning med yttre fixation", "Lengthening with external frame"),
    "code:treatment:lengthening_nail": ("Förlängning med märgspik", "Lengthening with intramedullary nail"),
    "code:treatment:deformity_correction": ("Korrektion av felställning", "Deformity correction"),
    "code:treatment:deformity_correction_lengthening": (
        "Korrektion av felställning med förlängning",
        "Deformity correction with lengthening",
    ),
    "code:treatment:further_investigation": ("Vidare utredning", "Further investigation"),
    "code:treatment:rediscuss": ("Diskuteras igen", "Re-discuss"),
}


def upgrade():
    # ADD COLUMN with a default: no table rebuild on SQLite (the users table is referenced everywhere).
    op.add_column("users", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    events = sa.table("case_events", sa.column("note", sa.Text()))
    for code, labels in NOTE_CODES.items():
        op.execute(events.update().where(events.c.note.in_(labels)).values(note=code))
    # Nothing references these two tables, so SQLite's batch rebuild (for the foreign keys) is safe.
    with op.batch_alter_table("rehab_followups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("corrected_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_rehab_followups_corrects_id"), ["corrects_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_rehab_followups_corrects_id_rehab_followups"), "rehab_followups", ["corrects_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_rehab_followups_corrected_by_id_users"), "users", ["corrected_by_id"], ["id"]
        )
    with op.batch_alter_table("rehab_adaptations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_rehab_adaptations_corrects_id"), ["corrects_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_rehab_adaptations_corrects_id_rehab_adaptations"),
            "rehab_adaptations",
            ["corrects_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("rehab_adaptations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rehab_adaptations_corrects_id_rehab_adaptations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_rehab_adaptations_corrects_id"))
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrects_id")
    with op.batch_alter_table("rehab_followups", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rehab_followups_corrected_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_rehab_followups_corrects_id_rehab_followups"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_rehab_followups_corrects_id"))
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrected_by_id")
        batch_op.drop_column("corrects_id")
    events = sa.table("case_events", sa.column("note", sa.Text()))
    for code, labels in NOTE_CODES.items():
        op.execute(events.update().where(events.c.note == code).values(note=labels[0]))
    # DROP COLUMN in place (SQLite 3.35+): a batch rebuild of users fails on the tables that reference it.
    op.drop_column("users", "version")
