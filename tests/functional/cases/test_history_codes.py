"""Issue 21: the case history stores codes and shows them in the reader's language (it stored Swedish labels);
migration 0017 turns the labels already stored into codes and back."""

from sqlalchemy import select, text

from conference.cases.models import CaseEvent
from conference.extensions import db
from conference.people.models import User
from tests.conftest import login
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases


def _decided_case(coordinator_id: int, chair_id: int) -> int:
    from conference.agenda.models import AgendaItem

    conference_id, item_ids = meeting_with_cases(coordinator_id, [coordinator_id, chair_id], 1, chair_id=chair_id)
    all_present(conference_id, chair_id)
    item = db.session.get(AgendaItem, item_ids[0])
    decide(item, db.session.get(User, chair_id), 3)  # TREATMENTS[3]: lengthening with an external frame
    db.session.commit()
    return item.case_id


def test_the_history_is_shown_in_the_readers_language(app, client, make_user):
    coordinator_id = make_user("coordinator", locale="sv")[0]
    chair_id = make_user("specialist", locale="sv")[0]
    _reader, reader_email = make_user("specialist", locale="en")
    with app.app_context():
        case_id = _decided_case(coordinator_id, chair_id)
        notes = [e.note for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id))]
    assert "code:treatment:lengthening_frame" in notes
    assert login(client, reader_email).status_code == 302
    history = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Lengthening with external frame" in history
    assert "Förlängning med yttre fixation" not in history


def test_migration_0017_turns_stored_labels_into_codes_and_back(tmp_path, clock):
    from flask_migrate import downgrade, upgrade

    from conference import create_app
    from conference.people import services as people

    other = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}", MAIL_FILE_DIRECTORY=str(tmp_path)
    )
    with other.app_context():
        upgrade()
        ids = [
            people.create_user(
                email=f"u{n}@example-hospital.se",
                name=f"User {n}",
                role=role,
                specialty="orthopaedic_surgeon" if role == "specialist" else None,
                password="correct-horse-battery",
            ).id
            for n, role in enumerate(("coordinator", "specialist"))
        ]
        db.session.commit()
        case_id = _decided_case(*ids)
        clock.reset()

        def notes():
            return set(db.session.scalars(text("SELECT note FROM case_events WHERE case_id = :c"), {"c": case_id}))

        db.session.remove()
        downgrade(revision="0014_ready_queue_index")
        assert "Förlängning med yttre fixation" in notes()
        db.session.remove()
        upgrade()
        assert "code:treatment:lengthening_frame" in notes()
        db.session.remove()
        db.engine.dispose()
