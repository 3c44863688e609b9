"""Below the application: the database itself refuses changes to a signed meeting's record, to stored documents
and to the audit log (triggers of migration 0006, on SQLite and PostgreSQL), refuses values the application does
not know (CHECK constraints), and a document altered behind the triggers' back is refused on download."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference
from conference.extensions import db
from conference.minutes import services as minutes
from conference.people.models import User
from tests.conftest import login
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases
from tests.functional.meetings.test_meetings import team  # noqa: F401 (fixture)


@pytest.fixture
def signed(app, team):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 2, chair_id=chair)
        all_present(conference_id, coordinator)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 0, with_plan=True)
        db.session.commit()
        signed = minutes.sign(db.session.get(Conference, conference_id), db.session.get(User, chair))
        db.session.commit()
        return conference_id, signed.document_id, db.session.get(User, chair).email


def _refused(statement: str, **params) -> None:
    with pytest.raises(DBAPIError):
        db.session.execute(text(statement), params)
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE decisions SET rationale = 'ändrad' WHERE conference_id = :conference",
        "DELETE FROM decisions WHERE conference_id = :conference",
        "UPDATE rehab_plans SET target_mm = 99 WHERE decision_id IN "
        "(SELECT id FROM decisions WHERE conference_id = :conference)",
        "UPDATE attendance SET status = 'absent' WHERE conference_id = :conference",
        "UPDATE action_items SET description = 'ändrad' WHERE conference_id = :conference",
        "UPDATE minutes SET document_sha256 = 'x' WHERE conference_id = :conference",
        "DELETE FROM minutes WHERE conference_id = :conference",
        "UPDATE stored_documents SET data = :bytes",
        "DELETE FROM stored_documents",
        "UPDATE audit_events SET action = 'nothing'",
        "DELETE FROM audit_events",
        "UPDATE meeting_records SET locked = FALSE WHERE conference_id = :conference",
        "DELETE FROM meeting_records WHERE conference_id = :conference",
    ],
)
def test_plain_sql_cannot_change_a_signed_record_or_the_audit_log(app, signed, statement):
    conference_id, _document_id, _email = signed
    with app.app_context():
        _refused(statement, conference=conference_id, bytes=b"tampered")


def test_completing_an_action_stays_possible_in_sql_too(app, signed):
    conference_id, _document_id, _email = signed
    with app.app_context():
        db.session.execute(
            text("UPDATE action_items SET status = 'done' WHERE conference_id = :conference"),
            {"conference": conference_id},
        )
        db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases SET status = 'lost'",
        "UPDATE conferences SET capacity = 0",
        "UPDATE agenda_items SET minutes_allotted = 500",
        "UPDATE users SET role = 'root'",
    ],
)
def test_check_constraints_refuse_unknown_values(app, signed, statement):
    with app.app_context():
        _refused(statement)


def test_an_altered_document_is_refused_on_download(app, client, signed):
    conference_id, document_id, email = signed
    login(client, email)
    good = client.get(f"/minutes/{conference_id}/v1.docx")
    assert good.status_code == 200
    with app.app_context():
        _without_trigger_on_stored_documents(
            lambda: db.session.execute(
                text("UPDATE stored_documents SET data = :data WHERE id = :id"),
                {"data": b"PK-tampered", "id": document_id},
            )
        )
    refused = client.get(f"/minutes/{conference_id}/v1.docx")
    assert refused.status_code == 409 and b"PK-tampered" not in refused.data
    assert "does not match its signature" in refused.get_data(as_text=True)
    with app.app_context():
        logged = db.session.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'minutes.integrity_failure'")
        ).scalar()
        assert logged == 1


def _without_trigger_on_stored_documents(change) -> None:
    """What an intruder with database rights would do: lift the guard, change the bytes, put the guard back."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE stored_documents DISABLE TRIGGER stored_documents_immutable"))
        change()
        db.session.execute(text("ALTER TABLE stored_documents ENABLE TRIGGER stored_documents_immutable"))
    else:
        triggers = db.session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'stored_documents'")
        ).all()
        assert len(triggers) == 2
        for name, _sql in triggers:
            db.session.execute(text(f'DROP TRIGGER "{name}"'))
        change()
        for _name, sql in triggers:
            db.session.execute(text(sql))
    db.session.commit()
