import pytest
from docx import Document

from conference.cases import services as cases
from conference.extensions import db
from conference.people.models import User
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series
from tests.functional.meetings.helpers import start_meeting

pytestmark = pytest.mark.browser


def test_a_small_meeting_end_to_end(app, live_server, page, make_user, tmp_path):
    coordinator = make_user("coordinator")[0]
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon", name="Erik Sandberg")
    physio = make_user("specialist", "physiotherapist", name="Lisa Ek")[0]
    with app.app_context():
        series = book_series([chair_id, physio], chair_id=chair_id, actor_id=coordinator)
        conference = series.conferences[1]
        actor = db.session.get(User, coordinator)
        for n in range(2):
            cases.list_case(conference, make_ready_case(coordinator, 800 + n), actor)
        db.session.commit()
        conference_id = conference.id
        start_meeting(conference)  # recording opens when the meeting starts
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", chair_email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("main button.primary")
    page.goto(live_server.url + f"/meetings/{conference_id}")
    page.check(f"input[name='attendance-{chair_id}'][value=present]")
    page.check(f"input[name='attendance-{physio}'][value=remote]")
    page.click("#attendance button[type=submit]")
    page.wait_for_url("**#attendance")
    for n, treatment in enumerate(("insoles", "lengthening_nail")):
        page.locator("#cases a.button").nth(n).click()
        page.select_option("select[name=treatment]", treatment)
        page.fill("textarea[name=rationale]", f"Beslut {n} i webbläsaren")
        page.click("main form button.primary")
        page.wait_for_url(f"**/meetings/{conference_id}#item-*")
    assert page.locator("p.decision").count() == 2
    page.click("#sign")
    page.click("#confirm-sign")
    page.wait_for_url("**#minutes")
    with page.expect_download() as download_info:
        page.click("#minutes a[href$='v1.docx']")
    path = tmp_path / "minutes.docx"
    download_info.value.save_as(path)
    text = "\n".join(p.text for p in Document(path).paragraphs)
    assert "Beslut 0 i webbläsaren" in text and "Beslut 1 i webbläsaren" in text
