"""A GET never writes: reading a page records who saw which patient (the audit log) and nothing else. The plan page
used to schedule a plan's visits when it was first read; visits now follow the plan when it is saved."""

from __future__ import annotations

import re

from sqlalchemy import select

from conference.agenda.models import AgendaItem
from conference.extensions import db
from conference.meetings.models import RehabPlan
from conference.people.models import User
from conference.rehab.models import RehabVisit
from tests.conftest import login, statements_run
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b(?:\s+INTO|\s+FROM)?\s+\"?(\w+)", re.IGNORECASE)


def writes(statements: list[str]) -> list[str]:
    """The statements that write, other than the audit of what was shown."""
    return [
        s.split("\n")[0][:120] for s in statements if (match := WRITE.match(s)) and match.group(2) != "audit_events"
    ]


def test_a_plan_saved_by_its_service_has_its_visits_and_reading_pages_writes_only_the_audit(app, client, make_user):
    coordinator_id, email = make_user("coordinator")
    surgeon_id, _surgeon = make_user("specialist", "orthopaedic_surgeon")
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator_id, [surgeon_id], 1)
        all_present(conference_id, coordinator_id)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, coordinator_id), 3, with_plan=True)
        db.session.commit()
        plan = db.session.scalar(select(RehabPlan))
        plan_id, case_id = plan.id, plan.decision.case_id
        visits = db.session.scalars(select(RehabVisit).where(RehabVisit.plan_id == plan_id)).all()
        assert visits, "the plan's visits were not scheduled when it was saved"
    login(client, email)
    with statements_run(app) as sent:
        for url in (
            f"/rehab/plan/{plan_id}",
            "/rehab/",
            f"/cases/{case_id}",
            f"/conferences/{conference_id}",
            f"/meetings/{conference_id}",
            "/cases/",
            "/",
        ):
            assert client.get(url).status_code == 200, url
    assert writes(sent) == []


def test_the_first_look_at_a_live_meeting_writes_nothing(app, client, make_user):
    """The live meeting page used to create the meeting's record when it was first shown: two people opening it at
    the same moment raced to insert it, and one got "Already there" (409; found by bench/compare.py)."""
    coordinator_id, email = make_user("coordinator")
    surgeon_id, _surgeon = make_user("specialist", "orthopaedic_surgeon")
    with app.app_context():
        conference_id, _items = meeting_with_cases(coordinator_id, [surgeon_id], 2)
        db.session.commit()
    login(client, email)
    with statements_run(app) as sent:
        page = client.get(f"/meetings/{conference_id}")
    assert page.status_code == 200
    assert writes(sent) == []
    assert 'name="version" type="hidden" value="0"' in page.get_data(as_text=True)
