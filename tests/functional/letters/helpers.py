from flask_babel import force_locale, format_date

from conference.cases import services as cases
from conference.conferences.models import Conference
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import PatientResponse, Treatment, WeightBearing
from conference.minutes import services as minutes
from conference.patients import services as patients
from conference.people.models import User
from tests.functional.meetings.helpers import all_present, days_after, meeting_with_cases

KINDS = [
    Treatment.insoles,
    Treatment.epiphysiodesis,
    Treatment.lengthening_frame,
    Treatment.lengthening_nail,
    Treatment.deformity_correction,
    Treatment.no_treatment,
]
PLANS = {
    Treatment.lengthening_frame: {
        "surgery_days": 42,
        "device": "circular_frame",
        "target_mm": 50,
        "rate": 1.0,
        "latency": 7,
    },
    Treatment.lengthening_nail: {
        "surgery_days": 49,
        "device": "magnetic_nail",
        "target_mm": 40,
        "rate": 1.0,
        "latency": 5,
    },
}


def note_text(n: int) -> str:
    return f"Intern anteckning {n}: genetikern tvekar"


def rationale_text(n: int) -> str:
    return f"Motivering för kollegor {n}, ortoped B höll inte med"


def signed_meeting_with_treatments(
    coordinator_id: int, chair_id: int, others: list[int], *, kinds=KINDS, sign: bool = True
):
    """A meeting chaired by `chair_id` with one decided case per treatment kind (plans for the operations), a
    pre-conference note on each case, guardians and addresses recorded, signed. Returns (conference id, decision
    ids in the order of `kinds`)."""
    conference_id, item_ids = meeting_with_cases(coordinator_id, [chair_id, *others], len(kinds), chair_id=chair_id)
    conference = db.session.get(Conference, conference_id)
    chair = db.session.get(User, chair_id)
    coordinator = db.session.get(User, coordinator_id)
    all_present(conference_id, coordinator_id)
    decision_ids = []
    items = {item.id: item for item in cases.agenda(conference).items}
    for n, (kind, item_id) in enumerate(zip(kinds, item_ids)):
        item = items[item_id]
        cases.add_note(item.case, chair, note_text(n), item)
        patient = item.case.patient
        patients.update_contact(
            patient,
            expected_version=patient.version,
            language="sv",
            address=f"Storgatan {n}\n123 45 Exempelstad",
            guardians=[(f"Förälder {n}", f"Storgatan {n}\n123 45 Exempelstad")],
            actor=coordinator,
        )
        decision = meetings.record_decision(
            item,
            meetings.DecisionInput(
                treatment=kind,
                rationale=rationale_text(n),
                patient_wishes=f"Vill kunna spela fotboll {n}",
                follow_up_on=days_after(item, 120 + n),
                patient_response=PatientResponse.will_be_told,
            ),
            chair,
        )
        plan = PLANS.get(kind)
        if plan is not None:
            meetings.save_rehab_plan(
                decision,
                meetings.RehabInput(
                    weight_bearing=WeightBearing.partial,
                    surgery_on=days_after(item, plan["surgery_days"]),
                    latency_days=plan.get("latency"),
                    rate_mm_per_day=plan.get("rate"),
                    target_mm=plan.get("target_mm"),
                    bone="femur" if plan.get("device") else None,
                    device=plan.get("device"),
                ),
                chair,
            )
        decision_ids.append(decision.id)
    if sign:
        minutes.sign(conference, chair, notify=False)
    db.session.commit()
    return conference_id, decision_ids


def long_date(day, language: str) -> str:
    with force_locale(language):
        return format_date(day, "long")
