"""The coordinator's and the chair's week in a real browser, counted: book a series with six participants, list
ten ready cases, record attendance, decide five cases (one with a rehabilitation plan, one with an action), defer
the other five, sign. Every page load, form submission, click, tick and choice counts as an interaction (typing
is counted apart); the week must take at most 40. Also: the case-list builder lists five cases at once and is
reordered by drag and drop."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from playwright.sync_api import expect
from sqlalchemy import select

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.conferences.models import Conference
from conference.extensions import db
from conference.minutes import services as minutes
from tests.conftest import PASSWORD
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import next_weekday

pytestmark = pytest.mark.browser


class Walk:
    """The page, with every interaction counted (typing separately)."""

    def __init__(self, page, base: str):
        self.page, self.base, self.interactions, self.typed = page, base, 0, 0

    def goto(self, path: str):
        self.interactions += 1
        return self.page.goto(self.base + path)

    def click(self, selector: str):
        self.interactions += 1
        self.page.click(selector)

    def check(self, selector: str):
        self.interactions += 1
        self.page.check(selector)

    def select(self, selector: str, value: str):
        self.interactions += 1
        self.page.select_option(selector, value)

    def type(self, selector: str, text: str):
        self.typed += 1
        self.page.fill(selector, text)


def _people(make_user):
    coordinator = make_user("coordinator", name="Karin Lund")
    chair = make_user("specialist", "orthopaedic_surgeon", name="Erik Sandberg")
    others = [
        make_user("specialist", specialty, name=name)[0]
        for specialty, name in (
            ("orthopaedic_surgeon", "Maria Holm"),
            ("endocrinologist", "Sara Nyström"),
            ("clinical_geneticist", "Johan Berg"),
            ("physiotherapist", "Lisa Ek"),
            ("occupational_therapist", "Anna Lind"),
        )
    ]
    return coordinator, chair, others


def test_the_week_takes_at_most_40_interactions(app, live_server, page, make_user, clock):
    (coordinator_id, coordinator_email), (chair_id, chair_email), others = _people(make_user)
    with app.app_context():
        for n in range(10):
            make_ready_case(coordinator_id, 600 + n, required_specialties=["orthopaedic_surgeon"])
        db.session.commit()
        first = next_weekday(2, hour=14).astimezone(ZoneInfo("Europe/Stockholm"))  # on the app's clock
    walk = Walk(page, live_server.url)

    # Monday: the coordinator books the weekly series
    walk.goto("/login")
    walk.type("input[name=email]", coordinator_email)
    walk.type("input[name=password]", PASSWORD)
    walk.click("main button.primary")
    walk.goto("/conferences/new")
    walk.type("input[name=date]", first.date().isoformat())
    walk.type("input[name=start_time]", "14:00")
    walk.type("input[name=end_time]", "16:00")
    walk.type("input[name=location]", "Konferensrum Ortopedi 3")
    for user_id in [chair_id, *others]:
        walk.check(f"input[name=participants][value='{user_id}']")
    walk.select("select[name=chair]", str(chair_id))
    walk.click("main form button.primary")
    expect(page.locator("h1")).to_contain_text("MDT")

    # ... and lists the ten ready cases on the first meeting
    walk.click("main table a >> nth=0")
    walk.check("#select-all")
    walk.click("#list-selected")
    expect(page.locator("#case-list tbody tr")).to_have_count(10)
    with app.app_context():
        conference = db.session.scalar(select(Conference).order_by(Conference.starts_at))
        conference_id = conference.id
        clock.travel_to(conference.starts_at + timedelta(minutes=2))  # Wednesday, 14:02
    walk.click("form[action='/logout'] button")

    # Wednesday: the chair runs the meeting in presentation mode
    walk.type("input[name=email]", chair_email)
    walk.type("input[name=password]", PASSWORD)
    walk.click("main button.primary")
    walk.goto(f"/meetings/{conference_id}/room")
    walk.click("#all-present")
    treatments = ["insoles", "lengthening_nail", "epiphysiodesis", "no_treatment", "further_investigation"]
    for n, treatment in enumerate(treatments):
        walk.select("select[name=treatment]", treatment)
        walk.type("textarea[name=rationale]", f"Beslut {n + 1} under mötet")
        if treatment == "lengthening_nail":
            walk.click("details:has(select[name=weight_bearing]) summary")
            walk.select("select[name=weight_bearing]", "partial")
            walk.select("select[name=bone]", "femur")
            walk.select("select[name=device]", "magnetic_nail")
            walk.type("input[name=surgery_on]", (first.date() + timedelta(days=42)).isoformat())
            walk.type("input[name=target_mm]", "45")
        if treatment == "epiphysiodesis":
            walk.click("details:has(input[name=action_description]) summary")
            walk.type("input[name=action_description]", "Boka operation och röntgen")
            walk.select("select[name=action_owner]", str(chair_id))
        walk.click("#save-and-next")
        expect(page.locator("#recorded-decision")).to_have_count(1)
    walk.click("details.end-meeting summary")
    walk.click("#defer-remaining")
    walk.click("#confirm-defer")  # each asks first, saying what will happen
    walk.click("details.end-meeting summary")
    walk.click("#sign")
    walk.click("#confirm-sign")
    expect(page.locator(".flash--success")).to_contain_text("signed")

    print(f"\nthe week: {walk.interactions} interactions, {walk.typed} typed fields")
    assert walk.interactions <= 40
    with app.app_context():
        outcomes = [
            i.outcome
            for i in db.session.scalars(
                select(AgendaItem).where(AgendaItem.conference_id == conference_id).order_by(AgendaItem.position)
            )
        ]
        assert outcomes == [AgendaOutcome.discussed] * 5 + [AgendaOutcome.deferred] * 5
        conference = db.session.get(Conference, conference_id)
        text = "\n".join(
            [p.text for p in Document(io.BytesIO(minutes.signed_document(conference, 1))).paragraphs]
            + [
                c.text
                for t in Document(io.BytesIO(minutes.signed_document(conference, 1))).tables
                for r in t.rows
                for c in r.cells
            ]
        )
    for n in range(5):
        assert f"Beslut {n + 1} under mötet" in text
    assert "Boka operation och röntgen" in text


def test_the_builder_lists_five_at_once_and_reorders_by_drag_and_drop(app, live_server, page, make_user):
    (coordinator_id, coordinator_email), (chair_id, _), others = _people(make_user)
    from tests.functional.conferences.helpers import book_series

    with app.app_context():
        series = book_series([chair_id, *others], chair_id=chair_id, actor_id=coordinator_id)
        conference_id = series.conferences[0].id
        names = [make_ready_case(coordinator_id, 650 + n).patient.name for n in range(5)]
        db.session.commit()
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", coordinator_email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.goto(live_server.url + f"/conferences/{conference_id}")
    for box in page.locator("#ready-queue input[name=case_ids]").all():
        box.check()
    page.click("#list-selected")
    rows = page.locator("#case-list tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("#capacity-meter")).to_have_attribute("value", "5")
    before = [rows.nth(n).locator("td").nth(1).inner_text() for n in range(5)]
    assert sorted(before) == sorted(names)
    # drag the last case to the top
    page.drag_and_drop(
        "#case-list tbody tr:nth-child(5)", "#case-list tbody tr:nth-child(1)", target_position={"x": 5, "y": 2}
    )
    page.wait_for_url("**#agenda")
    rows = page.locator("#case-list tbody tr")
    after = [rows.nth(n).locator("td").nth(1).inner_text() for n in range(5)]
    assert after == [before[4]] + before[:4]
    with app.app_context():
        stored = [
            i.case.patient.name
            for i in db.session.scalars(
                select(AgendaItem).where(AgendaItem.conference_id == conference_id).order_by(AgendaItem.position)
            )
        ]
    assert stored == after
