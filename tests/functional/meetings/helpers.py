from datetime import date, timedelta

from flask import current_app

from conference.cases import services as cases
from conference.conferences.models import Conference
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
from conference.people.models import User
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series

TREATMENTS = list(Treatment)


def meeting_with_cases(
    coordinator_id: int,
    participant_ids: list[int],
    count: int,
    *,
    chair_id: int | None = None,
    required=("orthopaedic_surgeon",),
    first_start=None,
    first_patient: int = 500,
):
    """A conference (first of a weekly series) with `count` ready cases listed; returns (conference id, item ids).
    The cases are listed before the deadline; then the app's clock moves to the meeting's start, when recording
    opens."""
    series = book_series(participant_ids, chair_id=chair_id, actor_id=coordinator_id, first_start=first_start)
    conference = series.conferences[0]
    conference.capacity = max(count, 1)
    actor = db.session.get(User, coordinator_id)
    items = []
    for n in range(count):
        case = make_ready_case(coordinator_id, first_patient + n, measurements=2, required_specialties=list(required))
        items.append(cases.list_case(conference, case, actor))
    db.session.commit()
    start_meeting(conference)
    return conference.id, [i.id for i in items]


def start_meeting(conference: Conference) -> None:
    """Move the app's clock to the meeting's start (recording opens then)."""
    current_app.extensions["clock"].travel_to(conference.starts_at + timedelta(minutes=1))


def days_after(conference_or_item, days: int) -> date:
    """A date `days` after the meeting (follow-ups, surgery, due dates), whatever today is."""
    conference = getattr(conference_or_item, "conference", conference_or_item)
    return conference.starts_at.date() + timedelta(days=days)


def all_present(conference_id: int, actor_id: int, absent: tuple[int, ...] = ()):
    conference = db.session.get(Conference, conference_id)
    meetings.set_attendance(
        conference,
        {
            i.user_id: AttendanceStatus.absent if i.user_id in absent else AttendanceStatus.present
            for i in conference.invitations
        },
        db.session.get(User, actor_id),
    )


def decide(item, actor, n: int, *, with_plan=False, owner=None):
    decision = meetings.record_decision(
        item,
        meetings.DecisionInput(
            treatment=TREATMENTS[n % len(TREATMENTS)],
            rationale=f"Motivering för fall {n}",
            patient_wishes=f"Önskemål {n}",
            follow_up_on=days_after(item, 180),
            patient_response=PatientResponse.accepted,
        ),
        actor,
    )
    if with_plan:
        meetings.save_rehab_plan(
            decision,
            meetings.RehabInput(
                weight_bearing=WeightBearing.partial,
                walking_aids="Kryckor",
                surgery_on=days_after(item, 42),
                latency_days=7,
                rate_mm_per_day=1.0,
                target_mm=50,
            ),
            actor,
        )
    meetings.add_action(
        item.conference,
        owner=owner or actor,
        description=f"Åtgärd för fall {n}",
        due_on=days_after(item, 60),
        actor=actor,
        decision=decision,
    )
    return decision
