"""The physiotherapist signs in, opens the worklist, records a visit with the achieved length and a complication,
and sees the flag on the case summary. Dates follow the app's clock."""

from datetime import timedelta

import pytest

from conference.db import local_today
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import PatientResponse, RehabPlan, Treatment, WeightBearing
from conference.people.models import User
from conference.rehab import services as rehab
from tests.conftest import PASSWORD
from tests.functional.meetings.helpers import all_present, meeting_with_cases

pytestmark = pytest.mark.browser


def test_physiotherapist_records_a_visit_and_sees_the_flag(app, live_server, page, make_user, clock):
    coordinator = make_user("coordinator")[0]
    chair = make_user("specialist", "orthopaedic_surgeon")[0]
    physio_id, physio_email = make_user("specialist", "physiotherapist", name="Lisa Ek")
    with app.app_context():
        conference_id, (item_id,) = meeting_with_cases(coordinator, [chair, physio_id], 1, chair_id=chair)
        all_present(conference_id, coordinator)
        from conference.agenda.models import AgendaItem

        item = db.session.get(AgendaItem, item_id)
        decision = meetings.record_decision(
            item,
            meetings.DecisionInput(Treatment.lengthening_frame, "Ram", None, None, PatientResponse.accepted),
            db.session.get(User, chair),
        )
        plan = meetings.save_rehab_plan(
            decision,
            meetings.RehabInput(
                weight_bearing=WeightBearing.partial,
                surgery_on=item.conference.starts_at.date() + timedelta(days=1),
                target_mm=40,
                device="circular_frame",
                bone="femur",
            ),
            db.session.get(User, chair),
        )
        for visit in rehab.schedule_visits(plan):
            visit.therapist_id = physio_id
        db.session.commit()
        plan_id, case_id, name = plan.id, item.case_id, item.case.patient.name
    clock.advance(timedelta(days=22))  # day 21 after surgery: 17 mm planned (latency 5, 1 mm/day)
    with app.app_context():
        seen_on = db.session.get(RehabPlan, plan_id).surgery_on + timedelta(days=21)
        assert seen_on <= local_today()

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", physio_email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.click("nav a[href='/rehab/']")
    page.click(f"#patients a[href='/rehab/plan/{plan_id}']")
    page.fill("input[name=seen_on]", seen_on.isoformat())
    page.fill("input[name=achieved_mm]", "11")
    page.fill("input[name=knee_flexion_deg]", "110")
    page.select_option("select[name=pin_sites]", "infected")
    page.select_option("select[name=complications]", ["pin_site_infection"])
    page.click("#followups button.primary")
    page.wait_for_url(f"**/rehab/plan/{plan_id}#followups")
    assert "11 mm achieved against 17 mm planned" in page.locator("#flags").inner_text()
    page.click(f"a[href='/cases/{case_id}']")
    flags = page.locator(f"#rehab-plan-{plan_id} .flags").inner_text()
    assert "Pin-site infection" in flags and "17 mm planned" in flags
    assert name in page.locator("h1").inner_text()
