import pytest
from sqlalchemy import select

from conference.cases import services
from conference.cases.models import PreConferenceNote
from conference.extensions import db
from conference.people.models import User
from conference.seed import DEMO_PASSWORD, seed_demo
from tests.functional.cases.helpers import make_ready_case

pytestmark = pytest.mark.browser


def test_specialist_reads_a_listed_case_with_chart_and_prediction_and_adds_a_note(app, live_server, page):
    with app.app_context():
        seed_demo(history=False)
        coordinator = db.session.scalar(select(User).where(User.email == "koordinator@example-hospital.se"))
        conference = services.listable_conferences()[1]  # the first may be past its case deadline
        case = make_ready_case(coordinator.id, 7, measurements=3)
        services.list_case(conference, case, coordinator)
        db.session.commit()
        case_id, conference_id = case.id, conference.id
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "genetiker@example-hospital.se")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button.primary")
    page.goto(live_server.url + f"/conferences/{conference_id}")
    page.click(f"#agenda a[href='/cases/{case_id}']")
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator("svg.lld-chart circle.measured").count() == 3
    assert page.locator("svg.lld-chart circle.predicted").count() == 1
    assert "mm" in page.locator("#prediction").inner_text()
    page.fill("textarea[name=text]", "Genetisk utredning rekommenderas före beslut.")
    page.click("#notes button.primary")
    page.wait_for_url(f"**/cases/{case_id}#notes")
    assert "Genetisk utredning rekommenderas" in page.locator("#notes").inner_text()
    with app.app_context():
        note = db.session.scalar(select(PreConferenceNote).where(PreConferenceNote.text.like("Genetisk%")))
        assert note.specialty.value == "clinical_geneticist" and note.agenda_item_id is not None
