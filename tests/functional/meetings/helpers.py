from datetime import date

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
):
    """A conference (first of a weekly series) with `count` ready cases listed; returns (conference id, item ids)."""
    series = book_series(participant_ids, chair_id=chair_id, actor_id=coordinator_id)
    conference = series.conferences[0]
    conference.capacity = max(count, 1)
    actor = db.session.get(User, coordinator_id)
    items = []
    for n in range(count):
        case = make_ready_case(coordinator_id, 500 + n, measurements=2, required_specialties=list(required))
        items.append(cases.list_case(conference, case, actor))
    db.session.commit()
    return conference.id, [i.id for i in items]


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
            follow_up_on=date(2027, 6, 1),
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
                surgery_on=date(2027, 1, 11),
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
        due_on=date(2027, 2, 1),
        actor=actor,
        decision=decision,
    )
    return decision
