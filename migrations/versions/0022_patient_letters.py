"""the proposal reaches the patient: the patient's language, address and guardians; letter templates per treatment
and language; letters per decision (document, answer) and the coordinator's follow-up actions

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-04 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, no table rebuild: on SQLite a rebuild drops `patients`, and with foreign keys on, dropping
    # it deletes every patient's name terms (ON DELETE CASCADE). So the CHECK on the language is PostgreSQL's only;
    # the form and the services allow the two languages alone.
    op.add_column("patients", sa.Column("language", sa.String(length=2), nullable=False, server_default="sv"))
    op.add_column("patients", sa.Column("address", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(op.f("ck_patients_language_allowed"), "patients", "language IN ('sv', 'en')")

    op.create_table(
        "patient_guardians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_guardians_patient_id_patients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_guardians")),
    )
    op.create_index(op.f("ix_patient_guardians_patient_id"), "patient_guardians", ["patient_id"], unique=False)

    op.create_table(
        "letter_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("treatment", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("child_text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language IN ('sv', 'en')", name=op.f("ck_letter_templates_language_allowed")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_letter_templates_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_templates")),
        sa.UniqueConstraint("treatment", "language", name=op.f("uq_letter_templates_treatment")),
    )

    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("docx_document_id", sa.Integer(), nullable=True),
        sa.Column("docx_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_document_id", sa.Integer(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("answer_due_on", sa.Date(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language IN ('sv', 'en')", name=op.f("ck_letters_language_allowed")),
        sa.CheckConstraint("status IN ('draft', 'sent', 'superseded')", name=op.f("ck_letters_status_allowed")),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('accepts', 'declines', 'wants_to_talk', 'no_answer')",
            name=op.f("ck_letters_answer_allowed"),
        ),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], name=op.f("fk_letters_decision_id_decisions")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_letters_case_id_cases")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_letters_patient_id_patients")),
        sa.ForeignKeyConstraint(
            ["conference_id"], ["conferences.id"], name=op.f("fk_letters_conference_id_conferences")
        ),
        sa.ForeignKeyConstraint(["prepared_by_id"], ["users.id"], name=op.f("fk_letters_prepared_by_id_users")),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"], name=op.f("fk_letters_sent_by_id_users")),
        sa.ForeignKeyConstraint(
            ["answer_recorded_by_id"], ["users.id"], name=op.f("fk_letters_answer_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["docx_document_id"], ["stored_documents.id"], name=op.f("fk_letters_docx_document_id_stored_documents")
        ),
        sa.ForeignKeyConstraint(
            ["pdf_document_id"], ["stored_documents.id"], name=op.f("fk_letters_pdf_document_id_stored_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
    )
    op.create_index(op.f("ix_letters_decision_id"), "letters", ["decision_id"], unique=False)
    op.create_index(op.f("ix_letters_conference_id"), "letters", ["conference_id"], unique=False)
    op.create_index(op.f("ix_letters_patient_id"), "letters", ["patient_id"], unique=False)
    # The sweep for answers overdue: sent letters by due date.
    op.create_index("ix_letters_status_answer_due_on", "letters", ["status", "answer_due_on"], unique=False)

    op.create_table(
        "letter_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('no_answer', 'new_letter')", name=op.f("ck_letter_actions_kind_allowed")),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_letter_actions_status_allowed")),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_actions_letter_id_letters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"], name=op.f("fk_letter_actions_done_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_actions")),
        sa.UniqueConstraint("letter_id", "kind", name=op.f("uq_letter_actions_letter_id")),
    )
    op.create_index("ix_letter_actions_status", "letter_actions", ["status"], unique=False)


def downgrade():
    op.drop_index("ix_letter_actions_status", table_name="letter_actions")
    op.drop_table("letter_actions")
    op.drop_index("ix_letters_status_answer_due_on", table_name="letters")
    op.drop_index(op.f("ix_letters_patient_id"), table_name="letters")
    op.drop_index(op.f("ix_letters_conference_id"), table_name="letters")
    op.drop_index(op.f("ix_letters_decision_id"), table_name="letters")
    op.drop_table("letters")
    op.drop_table("letter_templates")
    op.drop_index(op.f("ix_patient_guardians_patient_id"), table_name="patient_guardians")
    op.drop_table("patient_guardians")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_patients_language_allowed"), "patients", type_="check")
    # SQLite 3.35+ drops a column in place (no rebuild, see upgrade).
    op.drop_column("patients", "address")
    op.drop_column("patients", "language")
