"""The rehabilitation team's part: defaults by device x bone, visits assigned to therapists, follow-up with
planned against achieved length and flags, a flag sending the case back to the conference, worklists, the
calendar feed, and every clinician reading the plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.conferences.models import Conference
from conference.db import local_today
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import PatientResponse, Treatment, WeightBearing
from conference.people.models import User
from conference.rehab import services as rehab
from tests.conftest import login, post_form
from tests.functional.meetings.helpers import all_present, meeting_with_cases


@pytest.fixture
def rehab_team(make_user):
    coordinator = make_user("coordinator")
    chair = make_user("specialist", "orthopaedic_surgeon")
    physio = make_user("specialist", "physiotherapist")
    ot = make_user("specialist", "occupational_therapist")
    geneticist = make_user("specialist", "clinical_geneticist")
    return {"coordinator": coordinator, "chair": chair, "physio": physio, "ot": ot, "geneticist": geneticist}


def _lengthening(app, team, *, device, bone, target, surgery_in_days, **plan):
    """A started meeting deciding one lengthening; returns (conference id, item id, plan id)."""
    with app.app_context():
        ids = [team[k][0] for k in ("chair", "physio", "ot", "geneticist")]
        conference_id, (item_id,) = meeting_with_cases(team["coordinator"][0], ids, 1, chair_id=team["chair"][0])
        all_present(conference_id, team["coordinator"][0])
        chair = db.session.get(User, team["chair"][0])
        item = db.session.get(AgendaItem, item_id)
        decision = meetings.record_decision(
            item,
            meetings.DecisionInput(
                treatment=Treatment.lengthening_nail,
                rationale="Förlängning",
                patient_wishes=None,
                follow_up_on=None,
                patient_response=PatientResponse.accepted,
            ),
            chair,
        )
        surgery = db.session.get(Conference, conference_id).starts_at.date() + timedelta(days=surgery_in_days)
        saved = meetings.save_rehab_plan(
            decision,
            meetings.RehabInput(
                weight_bearing=WeightBearing.partial,
                surgery_on=surgery,
                target_mm=target,
                device=device,
                bone=bone,
                **plan,
            ),
            chair,
        )
        rehab.schedule_visits(saved)
        db.session.commit()
        return conference_id, item_id, saved.id


def test_a_tibial_nail_gets_its_own_rate_and_healing_index(app, rehab_team):
    # The patient of make_ready_case is born 2020: a child. Tibia with a magnetic nail, child: latency 5 days,
    # 0.75 mm/day, consolidation index 61 days/cm (config REHAB_DEFAULTS, DOMAIN.md).
    # 30 mm at 0.75 mm/day = 40 days. Surgery S: distraction S+5 .. S+5+39 = S+44; consolidation ends
    # S + round(61 x 3.0) = S + 183.
    _c, _i, plan_id = _lengthening(app, rehab_team, device="magnetic_nail", bone="tibia", target=30, surgery_in_days=14)
    with app.app_context():
        plan = db.session.get(meetings.RehabPlan, plan_id)
        assert plan.rate_mm_per_day == 0.75 and plan.latency_days == 5 and plan.healing_index_days_per_cm == 61.0
        computed = meetings.compute_plan(plan)
        surgery = plan.surgery_on
        assert computed.distraction_start == surgery + timedelta(days=5)
        assert computed.distraction_end == surgery + timedelta(days=44) and computed.distraction_days == 40
        assert computed.consolidation_end == surgery + timedelta(days=183)
        assert meetings.index_in_use(plan) == (61.0, "consolidation")
        # A femur with a monolateral frame in an adult would take 1 mm/day and 47.1 days/cm instead.
        assert meetings.plan_defaults("monolateral_frame", "femur", adult=True) == {
            "latency_days": 7,
            "rate": 1.0,
            "healing_index": 47.1,
            "index": "external fixation",
        }
        # Both bones: the slower rate and the longer index of the two.
        both = meetings.plan_defaults("magnetic_nail", "both", adult=True)
        assert both["rate"] == 0.75 and both["healing_index"] == 61.0


def test_planned_against_achieved_raises_flags_and_one_action_relists_the_case(app, client, rehab_team, clock):
    conference_id, item_id, plan_id = _lengthening(
        app, rehab_team, device="circular_frame", bone="femur", target=50, surgery_in_days=1
    )
    with app.app_context():
        plan = db.session.get(meetings.RehabPlan, plan_id)
        surgery = plan.surgery_on
        # child, circular frame, femur: latency 5, 1 mm/day -> planned on day 21 after surgery: 21 - 5 + 1 = 17 mm
        assert rehab.planned_mm_on(plan, surgery + timedelta(days=21)) == 17
    clock.travel_to(clock.now() + timedelta(days=30))
    login(client, rehab_team["physio"][1])
    url = f"/rehab/plan/{plan_id}"
    for days, achieved, flexion in ((14, 10, 125), (21, 12, 100)):
        response = post_form(
            client,
            f"{url}/followups",
            {
                "seen_on": (surgery + timedelta(days=days)).isoformat(),
                "achieved_mm": str(achieved),
                "knee_flexion_deg": str(flexion),
                "pin_sites": "irritated",
                "pain": "4",
                "complications": ["pin_site_infection"] if days == 21 else [],
            },
            form_url=url,
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "12 mm achieved against 17 mm planned" in page  # 5 mm behind, tolerance 3
    assert "Knee flexion lost: 125° to 100°" in page and "Pin-site infection" in page
    assert page.count('class="achieved"') == 2 and 'class="planned"' in page  # the chart shows both
    case_page = client.get(f"/cases/{_case_id(app, item_id)}").get_data(as_text=True)
    assert "flag--deviation" in case_page and "flag--complication" in case_page

    # One action: the case goes on the next conference's list.
    response = post_form(client, f"{url}/review", {"reason": "Efter i förlängning"}, form_url=url)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        case_id = _case_id(app, item_id)
        listed = db.session.scalars(
            select(AgendaItem).where(AgendaItem.case_id == case_id, AgendaItem.outcome == AgendaOutcome.pending)
        ).all()
        assert len(listed) == 1 and listed[0].conference_id != conference_id


def _case_id(app, item_id):
    with app.app_context():
        return db.session.get(AgendaItem, item_id).case_id


def test_bad_follow_up_input_comes_back_filled_in(app, client, rehab_team):
    _c, _i, plan_id = _lengthening(app, rehab_team, device="magnetic_nail", bone="femur", target=40, surgery_in_days=0)
    login(client, rehab_team["physio"][1])
    url = f"/rehab/plan/{plan_id}"
    with app.app_context():
        future = (local_today() + timedelta(days=3)).isoformat()
    response = post_form(
        client, f"{url}/followups", {"seen_on": future, "achieved_mm": "7", "notes": "Bra dag"}, form_url=url
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The visit date is in the future." in body and "Bra dag" in body and 'value="7"' in body


def test_worklists_assignment_and_the_calendar_feed(app, client, rehab_team, clock):
    _c, item_id, plan_id = _lengthening(
        app, rehab_team, device="magnetic_nail", bone="femur", target=20, surgery_in_days=2
    )
    with app.app_context():
        visits = rehab.visits_of(db.session.get(meetings.RehabPlan, plan_id))
        first = visits[0]
        first_id, first_day, first_version = first.id, first.planned_on, first.version
        patient_name = db.session.get(AgendaItem, item_id).case.patient.name
    login(client, rehab_team["physio"][1])
    assert patient_name in client.get("/rehab/").get_data(as_text=True)  # not yet assigned: everyone's to pick up
    assign = post_form(
        client,
        f"/rehab/visit/{first_id}/assign",
        {"therapist": str(rehab_team["ot"][0]), "version": str(first_version)},
        form_url=f"/rehab/plan/{plan_id}",
    )
    assert assign.status_code == 302
    stale = post_form(
        client,
        f"/rehab/visit/{first_id}/assign",
        {"therapist": str(rehab_team["physio"][0]), "version": str(first_version)},
        form_url=f"/rehab/plan/{plan_id}",
    )
    assert stale.status_code == 409
    # The occupational therapist's own list and calendar now hold the visit, without the patient's identity.
    ot_client = app.test_client()
    login(ot_client, rehab_team["ot"][1])
    clock.travel_to(clock.now().replace(hour=10) + timedelta(days=(first_day - clock.now().date()).days))
    worklist = ot_client.get("/rehab/?unit=0").get_data(as_text=True)
    assert patient_name in worklist.split('id="today"')[1].split("</section>")[0]
    post_form(ot_client, "/conferences/calendar-feed", {}, form_url="/conferences/calendar-feed")
    with app.app_context():
        token = db.session.get(User, rehab_team["ot"][0]).calendar_token
    feed = Calendar.from_ical(ot_client.get(f"/conferences/feed/{token}.ics").data)
    visits_in_feed = [e for e in feed.walk("VEVENT") if str(e["uid"]).startswith("rehab-visit-")]
    assert [e.decoded("dtstart") for e in visits_in_feed] == [first_day]
    assert int(visits_in_feed[0]["sequence"]) == 1  # assigning moved it
    assert patient_name.split()[0] not in ot_client.get(f"/conferences/feed/{token}.ics").get_data(as_text=True)


def test_every_clinician_reads_the_whole_plan(app, client, rehab_team):
    _c, item_id, plan_id = _lengthening(
        app, rehab_team, device="magnetic_nail", bone="tibia", target=30, surgery_in_days=5, rhythm="3 x 0.25 mm"
    )
    login(client, rehab_team["geneticist"][1])
    summary = client.get(f"/cases/{_case_id(app, item_id)}").get_data(as_text=True)
    assert f'id="rehab-plan-{plan_id}"' in summary and "Magnetic lengthening nail" in summary
    assert "3 x 0.25 mm" in summary and "consolidation index" in summary and "Visits" in summary
    assert client.get(f"/rehab/plan/{plan_id}").status_code == 200
    denied = post_form(
        client, f"/rehab/plan/{plan_id}/followups", {"seen_on": "2030-01-01"}, form_url=f"/rehab/plan/{plan_id}"
    )
    assert denied.status_code == 403  # reading, not recording


def test_visits_follow_the_plan_and_calendars_see_the_change(app, client, rehab_team):
    _c, _i, plan_id = _lengthening(app, rehab_team, device="magnetic_nail", bone="femur", target=20, surgery_in_days=3)
    login(client, rehab_team["chair"][1])
    before = Calendar.from_ical(client.get(f"/meetings/rehab/{plan_id}.ics").data).walk("VEVENT")
    with app.app_context():
        plan = db.session.get(meetings.RehabPlan, plan_id)
        plan.surgery_on += timedelta(days=7)  # the operation moved a week (before signing)
        rehab.schedule_visits(plan)
        db.session.commit()
    after = Calendar.from_ical(client.get(f"/meetings/rehab/{plan_id}.ics").data).walk("VEVENT")
    assert [str(e["uid"]) for e in after] == [str(e["uid"]) for e in before]  # the same visits ...
    assert all(a.decoded("dtstart") == b.decoded("dtstart") + timedelta(days=7) for a, b in zip(after, before))
    assert all(int(a["sequence"]) == int(b["sequence"]) + 1 for a, b in zip(after, before))  # ... moved
