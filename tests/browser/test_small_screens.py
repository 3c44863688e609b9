"""Presentation mode, the case summary and the rehabilitation worklist on a tablet (1024x768), the worklist and a
follow-up visit on a phone (390x844): every fact visible, nothing wider than the screen (issue 21). Screenshots are
kept under pytest's tmp_path. Also the room's timer for a meeting recorded long after it ended, and the meeting's
end controls off the decision form's Tab path."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import PatientResponse, Treatment, WeightBearing
from conference.people.models import User
from conference.rehab import services as rehab
from tests.conftest import PASSWORD
from tests.functional.meetings.helpers import all_present, meeting_with_cases

pytestmark = pytest.mark.browser

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}

# Anything in <main> that reaches past the screen's edge, or whose content is cut by its own box (overflow hidden
# or clip, or an ellipsis): what a reader could not see without zooming out.
OVERFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const found = [];
  // visually hidden (1 px, clipped) on purpose, for screen readers: a table's header row on a phone
  const forReadersOnly = (el) => {
    for (let a = el; a; a = a.parentElement) {
      const r = a.getBoundingClientRect();
      if (r.width <= 1 && r.height <= 1) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("main *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || el.closest("details:not([open]) > :not(summary)")) continue;
    if (el.closest("svg") || forReadersOnly(el)) continue;  // drawings scale as a whole (max-width: 100%)
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
    if (box.right > width + 1 || box.left < -1) found.push(name + " spans " + Math.round(box.left) + "-" + Math.round(box.right));
    // Content wider than its box: cut (overflow hidden, clip, an ellipsis) or spilling over its neighbours.
    const block = !/^inline/.test(style.display) && !/^(svg|select|input|textarea|option)$/i.test(el.tagName);
    if (block && el.clientWidth && el.scrollWidth > el.clientWidth + 1 && !/(auto|scroll)/.test(style.overflowX))
      found.push(name + " is narrower than its content (" + el.clientWidth + " < " + el.scrollWidth + ")");
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, offenders: found.slice(0, 12)};
}"""


def _assert_fits(page, label: str, path) -> None:
    page.screenshot(path=str(path), full_page=True)
    result = page.evaluate(OVERFLOW)
    assert result["scrollWidth"] <= result["clientWidth"], (label, result)
    assert not result["offenders"], (label, result["offenders"])


@pytest.fixture
def meeting_with_a_lengthening(app, make_user):
    """A meeting with two cases, the first decided (a lengthening whose visits go to the physiotherapist)."""
    coordinator = make_user("coordinator")[0]
    chair, chair_email = make_user("specialist", "orthopaedic_surgeon", name="Erik Ordförande")
    physio, physio_email = make_user("specialist", "physiotherapist", name="Lisa Ek")
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, physio], 2, chair_id=chair)
        all_present(conference_id, coordinator)
        item = db.session.get(AgendaItem, item_ids[0])
        item.case.question = (
            "Ska vi förlänga femur med magnetisk märgspik nu, eller vänta på skelettmognad och göra "
            "epifysiodes på den långa sidan? Patienten har ont i ryggen efter långa promenader."
        )
        decision = meetings.record_decision(
            item,
            meetings.DecisionInput(
                Treatment.lengthening_nail, "Förlängning 40 mm", None, None, PatientResponse.accepted
            ),
            db.session.get(User, chair),
        )
        plan = meetings.save_rehab_plan(
            decision,
            meetings.RehabInput(
                weight_bearing=WeightBearing.partial,
                walking_aids="Kryckor",
                surgery_on=item.conference.starts_at.date() + timedelta(days=1),
                target_mm=40,
                device="magnetic_nail",
                bone="femur",
            ),
            db.session.get(User, chair),
        )
        for visit in rehab.schedule_visits(plan):
            visit.therapist_id = physio
        db.session.commit()
        return {
            "conference_id": conference_id,
            "item_ids": item_ids,
            "case_id": item.case_id,
            "plan_id": plan.id,
            "chair_email": chair_email,
            "physio_email": physio_email,
            "ends_at": db.session.get(Conference, conference_id).ends_at,
        }


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.wait_for_url(url + "/")


def test_tablet_and_phone_show_every_fact_without_overflow(
    app, live_server, browser, meeting_with_a_lengthening, tmp_path
):
    m = meeting_with_a_lengthening
    url = live_server.url
    for size_name, size in (("tablet", TABLET), ("phone", PHONE)):
        context = browser.new_context(locale="en-GB", viewport=size)
        chair = context.new_page()
        chair.set_default_timeout(15_000)
        _sign_in(chair, url, m["chair_email"])
        chair.goto(url + f"/meetings/item/{m['item_ids'][0]}/present")
        for fact in (".question", "#recorded-decision", "dl.facts"):
            expect(chair.locator(fact).first).to_be_visible()
        assert "magnetisk märgspik" in chair.locator(".question").inner_text()
        _assert_fits(chair, f"presentation mode, {size_name}", tmp_path / f"present-{size_name}.png")
        chair.goto(url + f"/cases/{m['case_id']}")
        _assert_fits(chair, f"case summary, {size_name}", tmp_path / f"summary-{size_name}.png")
        context.close()

        context = browser.new_context(locale="en-GB", viewport=size)
        physio = context.new_page()
        physio.set_default_timeout(15_000)
        _sign_in(physio, url, m["physio_email"])
        physio.goto(url + "/rehab/")
        _assert_fits(physio, f"rehab worklist, {size_name}", tmp_path / f"worklist-{size_name}.png")
        physio.goto(url + f"/rehab/plan/{m['plan_id']}")
        expect(physio.locator("input[name=seen_on]")).to_be_visible()
        _assert_fits(physio, f"follow-up visit, {size_name}", tmp_path / f"visit-{size_name}.png")
        context.close()


def test_the_timer_of_a_meeting_recorded_late_shows_time_over_not_a_huge_negative(
    app, live_server, page, meeting_with_a_lengthening, clock
):
    m = meeting_with_a_lengthening
    _sign_in(page, live_server.url, m["chair_email"])
    page.goto(live_server.url + f"/meetings/item/{m['item_ids'][1]}/present")
    timer = page.locator("#timer")
    expect(timer).to_contain_text("left")  # the meeting runs: its time left, on the app's clock
    assert not re.search(r"[−-]\s*\d", timer.inner_text()), timer.inner_text()
    clock.travel_to(m["ends_at"] + timedelta(minutes=5, seconds=30))  # recorded after the booked end
    page.goto(live_server.url + f"/meetings/item/{m['item_ids'][1]}/present")
    expect(timer).to_contain_text("over")
    text = timer.inner_text()
    assert not re.search(r"[−-]\s*\d", text), text
    assert re.search(r"\+5:3\d over", text), text


def test_defer_and_sign_are_off_the_decision_forms_tab_path_and_ask_first(
    app, live_server, page, meeting_with_a_lengthening
):
    m = meeting_with_a_lengthening
    _sign_in(page, live_server.url, m["chair_email"])
    page.goto(live_server.url + f"/meetings/item/{m['item_ids'][1]}/present")
    page.focus("select[name=treatment]")
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.name || ''"))
    page.focus("select[name=treatment]")
    for _ in range(25):
        page.keyboard.press("Shift+Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.name || ''"))
    assert "sign" not in reached and "defer-remaining" not in reached, reached

    page.click("details.end-meeting summary")
    page.click("#defer-remaining")
    expect(page.locator("#defer-summary")).to_contain_text("1 case moves to the meeting of")
    page.click("#confirm-defer")
    expect(page.locator(".flash--success")).to_contain_text("1 case deferred.")
    page.click("details.end-meeting summary")
    page.click("#sign")
    expect(page.locator("#sign-recipients")).to_contain_text("Lisa Ek")
    expect(page.locator("#sign-recipients")).to_contain_text("Erik Ordförande")
    page.click("#confirm-sign")
    expect(page.locator(".flash--success")).to_contain_text("signed")
