"""The proposal reaches the patient, in the browser: the chair signs, opens the letter of one case, edits one
sentence and marks it sent; the coordinator records that the patient declines, and the case is back in the ready
queue with the reason."""

import io

import pytest
from docx import Document

from conference.extensions import db
from conference.letters.models import Letter
from conference.meetings.models import Treatment
from tests.conftest import PASSWORD
from tests.functional.letters.helpers import signed_meeting_with_treatments

pytestmark = pytest.mark.browser


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.wait_for_url(url + "/")


def test_chair_sends_the_letter_and_the_coordinator_records_a_decline(app, live_server, browser, make_user):
    coordinator_id, coordinator_email = make_user("coordinator")
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon", name="Erik Sandberg")
    physio = make_user("specialist", "physiotherapist")[0]
    with app.app_context():
        conference_id, _decisions = signed_meeting_with_treatments(
            coordinator_id,
            chair_id,
            [physio],
            kinds=[Treatment.lengthening_nail, Treatment.insoles],
            sign=False,
        )
    url = live_server.url

    chair = browser.new_context(locale="en-GB").new_page()
    chair.set_default_timeout(30_000)
    _sign_in(chair, url, chair_email)
    chair.goto(url + f"/meetings/{conference_id}")
    chair.click("#sign")
    chair.click("#confirm-sign")
    chair.wait_for_url("**#minutes")
    chair.click("#letters-link")
    chair.locator("#letters tbody tr").first.locator("button").click()
    chair.wait_for_url("**/letters/*")
    letter_id = int(chair.url.rstrip("/").split("/")[-1])
    body = chair.locator("textarea[name=body]")
    text = body.input_value()
    sentence = next(line for line in text.split("\n\n") if line.startswith("Vi föreslår att förlänga"))
    edited = sentence.replace("Vi föreslår att förlänga", "Vi rekommenderar att förlänga", 1)
    body.fill(text.replace(sentence, edited))
    chair.click("#save-letter")
    chair.wait_for_selector(".flash--success")
    chair.click("#send-letter")
    chair.wait_for_selector("#letter-status:has-text('Sent')")
    assert "Vi rekommenderar att förlänga" in chair.locator("#text").inner_text()
    chair.context.close()
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        stored = Document(io.BytesIO(letter and _stored_docx(letter)))
        assert any("Vi rekommenderar att förlänga" in p.text for p in stored.paragraphs)
        patient_name = letter.patient.name
        case_id = letter.case_id

    coordinator = browser.new_context(locale="en-GB").new_page()
    coordinator.set_default_timeout(30_000)
    _sign_in(coordinator, url, coordinator_email)
    coordinator.goto(url + f"/letters/{letter_id}")
    coordinator.select_option("select[name=answer]", "declines")
    coordinator.fill("textarea[name=note]", "Vill vänta till efter studenten")
    coordinator.click("#record-answer")
    coordinator.wait_for_selector("#letter-answer")
    assert "Declines" in coordinator.locator("#letter-answer").inner_text()
    coordinator.goto(url + "/cases/")
    queue = coordinator.locator("table", has=coordinator.locator("text=Waiting")).inner_text()
    assert patient_name in queue
    coordinator.goto(url + f"/cases/{case_id}")
    assert "Vill vänta till efter studenten" in coordinator.content()
    coordinator.context.close()


def _stored_docx(letter) -> bytes:
    from conference.letters import services as letters

    return letters.stored_document(letter, "docx", None)
