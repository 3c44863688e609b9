"""The growth prediction the conference saw is stored with the decision and printed in the minutes, so a later
measurement never changes what the minutes say the decision rested on."""

import io
from datetime import date

import pytest
from docx import Document

from conference.agenda.models import AgendaItem
from conference.cases import services as cases
from conference.cases.models import Case
from conference.conferences.models import Conference
from conference.extensions import db
from conference.meetings import services as meetings
from conference.minutes import services as minutes
from conference.people.models import User
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases
from tests.functional.meetings.test_meetings import team  # noqa: F401 (fixture)


def docx_text(payload: bytes) -> str:
    document = Document(io.BytesIO(payload))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_signed_minutes_keep_the_prediction_shown_at_the_decision(app, team):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, (item_id,) = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        all_present(conference_id, coordinator)
        actor = db.session.get(User, chair)
        item = db.session.get(AgendaItem, item_id)
        shown = cases.predict(item.case)
        assert shown.available
        decision = decide(item, actor, 0)
        assert decision.prediction["value_mm"] == pytest.approx(shown.value_mm)
        db.session.commit()
        v1 = minutes.sign(db.session.get(Conference, conference_id), actor)
        db.session.commit()
        expected = f"{shown.value_mm:.1f} mm"
        assert expected in docx_text(v1.document)

        # A new measurement with a much larger discrepancy changes the live prediction ...
        case = db.session.get(Case, item.case_id)
        cases.add_measurement(
            case,
            cases.MeasurementInput(measured_on=date(2024, 6, 1), method="eos", lld_mm=60),
            db.session.get(User, coordinator),
        )
        db.session.commit()
        now = cases.predict(db.session.get(Case, item.case_id))
        assert f"{now.value_mm:.1f} mm" != expected

        # ... but an amendment (version 2), which rebuilds the document, still prints what was decided on.
        conference = db.session.get(Conference, conference_id)
        minutes.amend(conference, actor, "Stavfel i motiveringen")
        db.session.commit()
        v2 = minutes.sign(db.session.get(Conference, conference_id), actor)
        db.session.commit()
        text_v2 = docx_text(v2.document)
        assert expected in text_v2 and f"{now.value_mm:.1f} mm" not in text_v2
        assert meetings.decision_for_item(item_id).prediction["measured_on"] == "2024-01-08"
