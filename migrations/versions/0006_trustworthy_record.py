"""the record you can trust: stored documents, meeting records (lock, attendance version), agenda item versions,
decisions keyed to their agenda item, CHECK constraints, and triggers that refuse changes to signed records and
to the audit log

Revision ID: 0006_trustworthy_record
Revises: 0005_growth_prediction
Create Date: 2026-11-23 23:30:00

"""

from alembic import op
import sqlalchemy as sa

import conference.db


revision = "0006_trustworthy_record"
down_revision = "0005_growth_prediction"
branch_labels = None
depends_on = None

CHECKS = {
    "outbound_emails": [
        ("status_allowed", "status IN ('pending', 'sending', 'sent', 'failed')"),
    ],
    "patients": [
        ("id_kind_allowed", "id_kind IN ('personnummer', 'samordningsnummer', 'reserve')"),
        ("sex_allowed", "sex IN ('female', 'male', 'unknown')"),
    ],
    "users": [
        ("role_allowed", "role IN ('admin', 'coordinator', 'specialist')"),
        (
            "specialty_allowed",
            "specialty IN ('orthopaedic_surgeon', 'endocrinologist', 'clinical_geneticist', 'physiotherapist', 'occupational_therapist', 'radiologist', 'nurse')",
        ),
    ],
    "cases": [
        ("side_allowed", "side IN ('left', 'right', 'bilateral')"),
        ("status_allowed", "status IN ('referred', 'ready', 'listed', 'discussed', 'decided', 'follow_up', 'closed')"),
        ("growth_pattern_allowed", "growth_pattern IN ('congenital', 'developmental', 'unknown')"),
        ("priority_allowed", "priority IN ('routine', 'soon', 'urgent')"),
    ],
    "conference_series": [
        ("capacity_positive", "capacity >= 1"),
        ("duration_positive", "duration_minutes > 0"),
        ("deadline_not_negative", "case_deadline_hours >= 0"),
    ],
    "case_events": [
        (
            "to_status_allowed",
            "to_status IN ('referred', 'ready', 'listed', 'discussed', 'decided', 'follow_up', 'closed')",
        ),
        (
            "from_status_allowed",
            "from_status IN ('referred', 'ready', 'listed', 'discussed', 'decided', 'follow_up', 'closed')",
        ),
    ],
    "conferences": [
        ("ends_after_start", "ends_at > starts_at"),
        ("status_allowed", "status IN ('scheduled', 'cancelled', 'held')"),
        ("capacity_positive", "capacity >= 1"),
    ],
    "measurements": [
        ("method_allowed", "method IN ('blocks', 'tape', 'standing_radiograph', 'scanogram', 'ct_scanogram', 'eos')"),
    ],
    "series_participants": [
        ("role_allowed", "role IN ('chair', 'required', 'optional')"),
    ],
    "agenda_items": [
        ("minutes_allotted_range", "minutes_allotted BETWEEN 1 AND 120"),
        ("outcome_allowed", "outcome IN ('pending', 'discussed', 'deferred')"),
        ("position_positive", "position >= 1"),
    ],
    "attendance": [
        ("status_allowed", "status IN ('present', 'remote', 'absent')"),
    ],
    "invitations": [
        ("role_allowed", "role IN ('chair', 'required', 'optional')"),
        ("response_allowed", "response IN ('needs_action', 'accepted', 'tentative', 'declined')"),
    ],
    "minutes": [
        ("status_allowed", "status IN ('draft', 'signed')"),
    ],
    "decisions": [
        ("patient_response_allowed", "patient_response IN ('accepted', 'will_be_told', 'declined')"),
        (
            "treatment_allowed",
            "treatment IN ('no_treatment', 'insoles', 'epiphysiodesis', 'lengthening_frame', 'lengthening_nail', 'deformity_correction', 'deformity_correction_lengthening', 'further_investigation', 'rediscuss')",
        ),
    ],
    "pre_conference_notes": [
        (
            "specialty_allowed",
            "specialty IN ('orthopaedic_surgeon', 'endocrinologist', 'clinical_geneticist', 'physiotherapist', 'occupational_therapist', 'radiologist', 'nurse')",
        ),
    ],
    "action_items": [
        ("status_allowed", "status IN ('open', 'done')"),
    ],
    "rehab_plans": [
        ("healing_index_positive", "healing_index_days_per_cm IS NULL OR healing_index_days_per_cm > 0"),
        ("rate_positive", "rate_mm_per_day IS NULL OR rate_mm_per_day > 0"),
        ("target_positive", "target_mm IS NULL OR target_mm > 0"),
        ("weight_bearing_allowed", "weight_bearing IN ('none', 'touch', 'partial', 'as_tolerated', 'full')"),
        ("latency_not_negative", "latency_days IS NULL OR latency_days >= 0"),
    ],
}

LOCKED = "the meeting record is signed and locked: change it through an amendment"

SQLITE_TRIGGERS = [
    # The audit log and stored documents: append-only.
    *[
        f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table}: {message}'); END"
        for table, message in (("audit_events", "append-only"), ("stored_documents", "stored documents never change"))
        for op_name in ("UPDATE", "DELETE")
    ],
    *[
        f"CREATE TRIGGER minutes_signed_no_{op_name.lower()} BEFORE {op_name} ON minutes WHEN OLD.status = 'signed' "
        "BEGIN SELECT RAISE(ABORT, 'signed minutes are final'); END"
        for op_name in ("UPDATE", "DELETE")
    ],
    # Decisions and attendance of a locked meeting.
    *[
        f"CREATE TRIGGER {table}_locked_{op_name.lower()} BEFORE {op_name} ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM meeting_records r WHERE r.conference_id = {row}.conference_id AND r.locked) "
        f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
        for table in ("decisions", "attendance")
        for op_name, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
    ],
    *[
        f"CREATE TRIGGER rehab_plans_locked_{op_name.lower()} BEFORE {op_name} ON rehab_plans "
        "WHEN EXISTS (SELECT 1 FROM decisions d JOIN meeting_records r ON r.conference_id = d.conference_id "
        f"WHERE d.id = {row}.decision_id AND r.locked) BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
        for op_name, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
    ],
    # Action items: completing one is follow-up work (status, done_at, done_by_id); nothing else changes once locked.
    *[
        f"CREATE TRIGGER action_items_locked_{name} BEFORE {event} ON action_items "
        f"WHEN EXISTS (SELECT 1 FROM meeting_records r WHERE r.conference_id = {row}.conference_id AND r.locked) "
        f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
        for name, event, row in (
            ("insert", "INSERT", "NEW"),
            ("update", "UPDATE OF conference_id, decision_id, owner_id, description, due_on", "OLD"),
            ("delete", "DELETE", "OLD"),
        )
    ],
    # A lock is lifted only for an amendment (a later draft version exists), and never deleted while it holds.
    "CREATE TRIGGER meeting_records_unlock BEFORE UPDATE ON meeting_records WHEN OLD.locked AND NOT NEW.locked "
    "AND NOT EXISTS (SELECT 1 FROM minutes m WHERE m.conference_id = OLD.conference_id AND m.status = 'draft' "
    "AND m.version > 1) BEGIN SELECT RAISE(ABORT, 'a meeting record is unlocked only by an amendment'); END",
    "CREATE TRIGGER meeting_records_no_delete BEFORE DELETE ON meeting_records WHEN OLD.locked "
    f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END",
]

POSTGRES_TRIGGERS = [
    """CREATE FUNCTION conference_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '%: %', TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; END $$""",
    """CREATE FUNCTION conference_meeting_locked(conference integer) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM meeting_records r WHERE r.conference_id = conference AND r.locked) $$""",
    f"""CREATE FUNCTION conference_guard_locked() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old_conference integer;
        new_conference integer;
    BEGIN
        IF TG_TABLE_NAME = 'rehab_plans' THEN
            IF TG_OP <> 'INSERT' THEN SELECT conference_id INTO old_conference FROM decisions WHERE id = OLD.decision_id; END IF;
            IF TG_OP <> 'DELETE' THEN SELECT conference_id INTO new_conference FROM decisions WHERE id = NEW.decision_id; END IF;
        ELSE
            IF TG_OP <> 'INSERT' THEN old_conference := OLD.conference_id; END IF;
            IF TG_OP <> 'DELETE' THEN new_conference := NEW.conference_id; END IF;
        END IF;
        IF TG_TABLE_NAME = 'action_items' AND TG_OP = 'UPDATE' THEN
            -- (nested: PL/pgSQL plans a statement when it reaches it, and only action_items has these columns)
            IF (NEW.conference_id, NEW.decision_id, NEW.owner_id, NEW.description, NEW.due_on)
               IS NOT DISTINCT FROM (OLD.conference_id, OLD.decision_id, OLD.owner_id, OLD.description, OLD.due_on) THEN
                RETURN NEW;  -- completing an action is follow-up work, not an edit of the minutes
            END IF;
        END IF;
        IF (old_conference IS NOT NULL AND conference_meeting_locked(old_conference))
           OR (new_conference IS NOT NULL AND conference_meeting_locked(new_conference)) THEN
            RAISE EXCEPTION '{LOCKED}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION conference_guard_meeting_record() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.locked THEN
            RAISE EXCEPTION 'the meeting record is locked' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.locked AND NOT NEW.locked AND NOT EXISTS (
            SELECT 1 FROM minutes m WHERE m.conference_id = OLD.conference_id AND m.status = 'draft' AND m.version > 1
        ) THEN
            RAISE EXCEPTION 'a meeting record is unlocked only by an amendment' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW "
    "EXECUTE FUNCTION conference_refuse('append-only')",
    "CREATE TRIGGER stored_documents_immutable BEFORE UPDATE OR DELETE ON stored_documents FOR EACH ROW "
    "EXECUTE FUNCTION conference_refuse('stored documents never change')",
    "CREATE TRIGGER minutes_signed_final BEFORE UPDATE OR DELETE ON minutes FOR EACH ROW "
    "WHEN (OLD.status = 'signed') EXECUTE FUNCTION conference_refuse('signed minutes are final')",
    *[
        f"CREATE TRIGGER {table}_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW "
        "EXECUTE FUNCTION conference_guard_locked()"
        for table in ("decisions", "attendance", "rehab_plans", "action_items")
    ],
    "CREATE TRIGGER meeting_records_guard BEFORE UPDATE OR DELETE ON meeting_records FOR EACH ROW "
    "EXECUTE FUNCTION conference_guard_meeting_record()",
]


def upgrade():
    op.create_table(
        "stored_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", conference.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_documents_sha256")),
    )
    op.create_table(
        "meeting_records",
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("locked_at", conference.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by_id", sa.Integer(), nullable=True),
        sa.Column("attendance_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"], ["conferences.id"], name=op.f("fk_meeting_records_conference_id_conferences")
        ),
        sa.ForeignKeyConstraint(["locked_by_id"], ["users.id"], name=op.f("fk_meeting_records_locked_by_id_users")),
        sa.PrimaryKeyConstraint("conference_id", name=op.f("pk_meeting_records")),
    )

    # Signed documents move into stored_documents; minutes refer to them.
    with op.batch_alter_table("minutes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_minutes_document_id_stored_documents"), "stored_documents", ["document_id"], ["id"]
        )
    connection = op.get_bind()
    import hashlib
    from datetime import datetime, timezone

    minutes = sa.table(
        "minutes",
        sa.column("id", sa.Integer),
        sa.column("document", sa.LargeBinary),
        sa.column("document_id", sa.Integer),
    )
    documents = sa.table(
        "stored_documents",
        sa.column("id", sa.Integer),
        sa.column("sha256", sa.String),
        sa.column("content_type", sa.String),
        sa.column("size", sa.Integer),
        sa.column("data", sa.LargeBinary),
        sa.column("created_at", conference.db.UTCDateTime()),
    )
    for row in connection.execute(
        sa.select(minutes.c.id, minutes.c.document).where(minutes.c.document.is_not(None))
    ).all():
        digest = hashlib.sha256(row.document).hexdigest()
        existing = connection.execute(sa.select(documents.c.id).where(documents.c.sha256 == digest)).scalar()
        if existing is None:
            existing = connection.execute(
                documents.insert()
                .values(
                    sha256=digest,
                    content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    size=len(row.document),
                    data=row.document,
                    created_at=datetime.now(timezone.utc),
                )
                .returning(documents.c.id)
            ).scalar()
        connection.execute(minutes.update().where(minutes.c.id == row.id).values(document_id=existing))
    with op.batch_alter_table("minutes", schema=None) as batch_op:
        batch_op.drop_column("document")

    with op.batch_alter_table("email_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.create_index(batch_op.f("ix_email_attachments_document_id"), ["document_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_email_attachments_document_id_stored_documents"), "stored_documents", ["document_id"], ["id"]
        )

    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_unique_constraint("uq_agenda_items_item_conference_case", ["id", "conference_id", "case_id"])
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_decisions_agenda_item_id_agenda_items", type_="foreignkey")
        batch_op.drop_constraint("fk_decisions_case_id_cases", type_="foreignkey")
        batch_op.drop_constraint("fk_decisions_conference_id_conferences", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_decisions_agenda_item",
            "agenda_items",
            ["agenda_item_id", "conference_id", "case_id"],
            ["id", "conference_id", "case_id"],
        )

    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("done_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_action_items_done_by_id_users"), "users", ["done_by_id"], ["id"])

    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), condition)

    # The indexes the pages and sweeps use (case list order, ready queue, upcoming meetings, my actions, the outbox
    # sweep, a patient's access log).
    op.create_index("ix_agenda_items_conference_position", "agenda_items", ["conference_id", "position"])
    op.create_index("ix_cases_status_referred_at", "cases", ["status", "referred_at"])
    op.create_index("ix_conferences_status_starts_at", "conferences", ["status", "starts_at"])
    op.create_index("ix_action_items_owner_status", "action_items", ["owner_id", "status"])
    op.create_index("ix_outbound_emails_status_next_attempt", "outbound_emails", ["status", "next_attempt_at"])
    op.create_index("ix_audit_events_patient_at", "audit_events", ["patient_id", "at"])

    # Meetings whose latest minutes are signed start locked.
    connection.execute(
        sa.text(
            "INSERT INTO meeting_records (conference_id, locked, locked_at, attendance_version) "
            "SELECT m.conference_id, TRUE, m.signed_at, 0 FROM minutes m WHERE m.status = 'signed' AND m.version = "
            "(SELECT max(m2.version) FROM minutes m2 WHERE m2.conference_id = m.conference_id)"
        )
    )

    for statement in POSTGRES_TRIGGERS if connection.dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for table in ("decisions", "attendance", "rehab_plans", "action_items"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_locked ON {table}")
        op.execute("DROP TRIGGER IF EXISTS meeting_records_guard ON meeting_records")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS stored_documents_immutable ON stored_documents")
        op.execute("DROP TRIGGER IF EXISTS minutes_signed_final ON minutes")
        for function in (
            "conference_guard_meeting_record()",
            "conference_guard_locked()",
            "conference_meeting_locked(integer)",
            "conference_refuse()",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for (name,) in connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name, table in (
        ("ix_agenda_items_conference_position", "agenda_items"),
        ("ix_cases_status_referred_at", "cases"),
        ("ix_conferences_status_starts_at", "conferences"),
        ("ix_action_items_owner_status", "action_items"),
        ("ix_outbound_emails_status_next_attempt", "outbound_emails"),
        ("ix_audit_events_patient_at", "audit_events"),
    ):
        op.drop_index(name, table_name=table)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _condition in checks:
                batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_action_items_done_by_id_users"), type_="foreignkey")
        batch_op.drop_column("done_by_id")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_decisions_agenda_item", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_decisions_agenda_item_id_agenda_items", "agenda_items", ["agenda_item_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_decisions_case_id_cases", "cases", ["case_id"], ["id"])
        batch_op.create_foreign_key("fk_decisions_conference_id_conferences", "conferences", ["conference_id"], ["id"])
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_agenda_items_item_conference_case", type_="unique")
        batch_op.drop_column("version")
    # Attachments that point at a stored document get their bytes back; data is required again, as before 0006.
    op.execute(
        "UPDATE email_attachments SET data = (SELECT d.data FROM stored_documents d WHERE d.id = email_attachments.document_id) "
        "WHERE data IS NULL"
    )
    with op.batch_alter_table("email_attachments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_email_attachments_document_id_stored_documents"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_email_attachments_document_id"))
        batch_op.drop_column("document_id")
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("minutes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.LargeBinary(), nullable=True))
    op.execute("UPDATE minutes SET document = (SELECT data FROM stored_documents d WHERE d.id = minutes.document_id)")
    with op.batch_alter_table("minutes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_minutes_document_id_stored_documents"), type_="foreignkey")
        batch_op.drop_column("document_id")
    op.drop_table("meeting_records")
    op.drop_table("stored_documents")
