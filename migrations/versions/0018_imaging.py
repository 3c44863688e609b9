"""imaging: a case's images and documents (files in the content-addressed image store), the image open in the
meeting room, and triggers that freeze the images a signed meeting discussed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 15:45:00

"""

from alembic import op
import sqlalchemy as sa

import conference.db


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

FROZEN = "the image was discussed in a signed meeting and is part of its record"
# Changing what an image is or shows; the viewer's presets and description are not the record.
RECORD_COLUMNS = "case_id, kind, taken_on, side, format, content_type, sha256, size, mismatch, override_reason"
# An image is frozen once a meeting that listed its case is locked (signed) after the image was added.
SQLITE_FROZEN = (
    "EXISTS (SELECT 1 FROM agenda_items ai JOIN meeting_records r ON r.conference_id = ai.conference_id "
    "WHERE ai.case_id = OLD.case_id AND r.locked AND (r.locked_at IS NULL OR r.locked_at >= OLD.added_at))"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER case_images_frozen_update BEFORE UPDATE OF {RECORD_COLUMNS} ON case_images "
    f"WHEN {SQLITE_FROZEN} BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END",
    f"CREATE TRIGGER case_images_frozen_delete BEFORE DELETE ON case_images "
    f"WHEN {SQLITE_FROZEN} BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END",
]
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION conference_guard_case_image() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM agenda_items ai JOIN meeting_records r ON r.conference_id = ai.conference_id
                   WHERE ai.case_id = OLD.case_id AND r.locked AND (r.locked_at IS NULL OR r.locked_at >= OLD.added_at)) THEN
            RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$""",
    f"CREATE TRIGGER case_images_frozen_update BEFORE UPDATE OF {RECORD_COLUMNS} ON case_images FOR EACH ROW "
    "EXECUTE FUNCTION conference_guard_case_image()",
    "CREATE TRIGGER case_images_frozen_delete BEFORE DELETE ON case_images FOR EACH ROW "
    "EXECUTE FUNCTION conference_guard_case_image()",
]


def upgrade():
    op.create_table(
        "case_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "long_leg_ap",
                "lateral",
                "scanogram",
                "eos",
                "photo",
                "letter",
                "report",
                name="imagekind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column(
            "side", sa.Enum("left", "right", "bilateral", name="side", native_enum=False, length=20), nullable=True
        ),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column(
            "format",
            sa.Enum("dicom", "picture", "pdf", name="imageformat", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("columns", sa.Integer(), nullable=True),
        sa.Column("bits_stored", sa.Integer(), nullable=True),
        sa.Column("photometric", sa.String(length=20), nullable=True),
        sa.Column("pixel_spacing_row", sa.Float(), nullable=True),
        sa.Column("pixel_spacing_column", sa.Float(), nullable=True),
        sa.Column("pixel_spacing_source", sa.String(length=30), nullable=True),
        sa.Column("magnification_factor", sa.Float(), nullable=True),
        sa.Column("window_presets", sa.JSON(), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("transfer_syntax", sa.String(length=64), nullable=True),
        sa.Column("side_marker", sa.String(length=2), nullable=True),
        sa.Column("dicom_patient_id", sa.String(length=64), nullable=True),
        sa.Column("dicom_patient_name", sa.String(length=200), nullable=True),
        sa.Column("dicom_birth_date", sa.Date(), nullable=True),
        sa.Column("study_instance_uid", sa.String(length=64), nullable=True),
        sa.Column("series_instance_uid", sa.String(length=64), nullable=True),
        sa.Column("sop_instance_uid", sa.String(length=64), nullable=True),
        sa.Column("sop_class_uid", sa.String(length=64), nullable=True),
        sa.Column("study_date", sa.Date(), nullable=True),
        sa.Column("mismatch", sa.String(length=300), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column(
            "source", sa.Enum("upload", "pacs", name="imagesource", native_enum=False, length=10), nullable=False
        ),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", conference.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('long_leg_ap', 'lateral', 'scanogram', 'eos', 'photo', 'letter', 'report')",
            name=op.f("ck_case_images_kind_allowed"),
        ),
        sa.CheckConstraint("side IN ('left', 'right', 'bilateral')", name=op.f("ck_case_images_side_allowed")),
        sa.CheckConstraint("format IN ('dicom', 'picture', 'pdf')", name=op.f("ck_case_images_format_allowed")),
        sa.CheckConstraint("source IN ('upload', 'pacs')", name=op.f("ck_case_images_source_allowed")),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"], name=op.f("fk_case_images_added_by_id_users")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_images_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_images")),
    )
    op.create_index("ix_case_images_case_taken", "case_images", ["case_id", "taken_on", "id"], unique=False)
    op.create_index(op.f("ix_case_images_sha256"), "case_images", ["sha256"], unique=False)
    op.create_index(op.f("ix_case_images_sop_instance_uid"), "case_images", ["sop_instance_uid"], unique=False)

    with op.batch_alter_table("meeting_rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_image_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_rooms_current_image_id_case_images"),
            "case_images",
            ["current_image_id"],
            ["id"],
            ondelete="SET NULL",
        )

    connection = op.get_bind()
    for statement in POSTGRES_TRIGGERS if connection.dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    connection = op.get_bind()
    op.execute(
        "DROP TRIGGER IF EXISTS case_images_frozen_update"
        + (" ON case_images" if connection.dialect.name == "postgresql" else "")
    )
    op.execute(
        "DROP TRIGGER IF EXISTS case_images_frozen_delete"
        + (" ON case_images" if connection.dialect.name == "postgresql" else "")
    )
    if connection.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS conference_guard_case_image()")
    with op.batch_alter_table("meeting_rooms", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meeting_rooms_current_image_id_case_images"), type_="foreignkey")
        batch_op.drop_column("current_image_id")
    op.drop_index(op.f("ix_case_images_sop_instance_uid"), table_name="case_images")
    op.drop_index(op.f("ix_case_images_sha256"), table_name="case_images")
    op.drop_index("ix_case_images_case_taken", table_name="case_images")
    op.drop_table("case_images")
