"""Action items name their case (its number and the patient's initials) on the owner's dashboard, the meeting page
and in the minutes; never in an email subject."""

from __future__ import annotations

import io

from docx import Document

from conference.extensions import db
from conference.minutes import services as minutes
from conference.people.models import User
from tests.conftest import PASSWORD, login
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases


def test_an_action_names_its_case_everywhere_it_is_shown(app, make_user):
    coordinator = make_user("coordinator")[0]
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon")
    owner_id, owner_email = make_user("specialist", "physiotherapist")
    with app.app_context():
        conference_id, items = meeting_with_cases(coordinator, [chair_id, owner_id], 1, chair_id=chair_id)
        from conference.agenda.models import AgendaItem

        item = db.session.get(AgendaItem, items[0])
        all_present(conference_id, coordinator)
        decide(item, db.session.get(User, chair_id), 0, owner=db.session.get(User, owner_id))
        db.session.commit()
        case = item.case
        reference = f"Case {case.id} (B. T.)"  # Barn500 Testsson500
        assert case.reference == reference
    owner = app.test_client()
    login(owner, owner_email, PASSWORD)
    assert reference in owner.get("/").get_data(as_text=True)
    assert reference in owner.get(f"/meetings/{conference_id}").get_data(as_text=True)
    with app.app_context():
        from conference.conferences.models import Conference

        conference = db.session.get(Conference, conference_id)
        minutes.sign(conference, db.session.get(User, chair_id))
        db.session.commit()
        document = Document(io.BytesIO(minutes.signed_document(conference, 1)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(c.endswith(f"{case.id} (B. T.)") for c in cells), cells[-12:]  # "Case" or "Fall", the unit's language
    with app.app_context():
        from sqlalchemy import select

        from conference.notifications.models import OutboundEmail

        subjects = db.session.scalars(select(OutboundEmail.subject)).all()
    assert subjects and all("B. T." not in s and "Barn" not in s for s in subjects)
