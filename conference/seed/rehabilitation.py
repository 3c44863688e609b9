"""Lengthenings under way: plans, visits and adaptations."""

from __future__ import annotations

from conference.db import local_today
from conference.people.models import User
from conference.seed.conferences import book_past_meeting


def seed_rehabilitation(staff: dict[str, User], patients: list):
    """A lengthening in each phase. Decided at a meeting eight weeks ago: Sara (tibial magnetic nail, in
    distraction, on plan), Arvid (femoral circular frame, in distraction, behind plan and losing knee flexion) and
    Viktor (femoral nail, operated three days ago: latency). Decided at a meeting ten months ago: Linnea (femoral
    frame, consolidating) and Hanna (tibial nail, consolidated, the nail out). Visits are assigned to the demo
    physiotherapist, with recorded follow-ups and an occupational therapy adaptation, so the worklist and the flags
    show at once."""
    # (patient, side, target mm, device, bone, surgery days ago, question, [(days after surgery, achieved mm,
    # knee flexion, ankle dorsiflexion, consolidated)])
    recent = [
        (
            patients[9],
            "right",
            30,
            "magnetic_nail",
            "tibia",
            35,
            "Förlängning av höger tibia 30 mm med magnetisk märgspik?",
            [(14, 5.0, 125, 10, False), (28, 15.5, 120, 8, False)],
        ),
        (
            patients[10],
            "left",
            50,
            "circular_frame",
            "femur",
            30,
            "Förlängning av vänster femur 50 mm med cirkulär ram?",
            [(14, 10.0, 125, 10, False), (21, 17.0, 110, 6, False), (28, 18.0, 95, 2, False)],
        ),
        (
            patients[11],
            "left",
            40,
            "magnetic_nail",
            "femur",
            3,
            "Förlängning av vänster femur 40 mm med magnetisk märgspik?",
            [],
        ),
    ]
    earlier = [
        (
            patients[12],
            "right",
            20,
            "circular_frame",
            "femur",
            60,
            "Förlängning av höger femur 20 mm med cirkulär ram?",
            [(14, 7.0, 120, 10, False), (28, 20.0, 110, 8, False), (45, 20.0, 120, 10, False)],
        ),
        (
            patients[13],
            "left",
            20,
            "magnetic_nail",
            "tibia",
            280,
            "Förlängning av vänster tibia 20 mm med magnetisk märgspik?",
            [(14, 6.0, 130, 10, False), (35, 20.0, 125, 10, False), (200, 20.0, 135, 15, True)],
        ),
    ]
    _decide_lengthenings(staff, 56, recent)
    return _decide_lengthenings(staff, 300, earlier)


def _decide_lengthenings(staff: dict[str, User], meeting_days_ago: int, lengthenings: list):
    from datetime import datetime, timedelta

    from conference.cases import services as cases
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
    from conference.minutes import services as minutes
    from conference.rehab import services as rehab

    today = local_today()
    day = today - timedelta(days=meeting_days_ago)
    day -= timedelta(days=(day.weekday() - 2) % 7)
    tz = conferences.unit_tz()
    start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=tz)
    coordinator, chair = staff["koordinator@example-hospital.se"], staff["ortoped1@example-hospital.se"]
    physio, ot = staff["fysioterapeut@example-hospital.se"], staff["arbetsterapeut@example-hospital.se"]
    conference = book_past_meeting(coordinator, chair, start, [physio, ot])
    referrer = staff["ortoped2@example-hospital.se"]
    items = []
    for patient, side, target, device, bone, surgery_days_ago, question, _visits in lengthenings:
        case = cases.refer_case(
            patient=patient,
            actor=referrer,
            fields={
                "referring_clinician": referrer.name,
                "referring_email": referrer.email,
                "diagnosis": "post_traumatic" if bone == "tibia" else "congenital_femoral_deficiency",
                "side": side,
                "growth_pattern": "congenital",
                "question": question,
                "clinical_summary": "Demo: förlängning pågår.",
                "patient_wishes": "Vill gå utan kryckor till sommaren.",
                "priority": "routine",
                "required_specialties": ["orthopaedic_surgeon", "physiotherapist"],
            },
        )
        case.referred_at = conference.starts_at - timedelta(days=30)
        cases.add_measurement(
            case, cases.MeasurementInput(measured_on=day - timedelta(days=3), method="eos", lld_mm=target), referrer
        )
        items.append(cases.list_case(conference, case, coordinator, override_reason="Registrerat i efterhand (demo)"))
    meetings.set_attendance(
        conference, {i.user_id: AttendanceStatus.present for i in conference.invitations}, coordinator
    )
    for item, (patient, _side, target, device, bone, surgery_days_ago, _q, visits) in zip(items, lengthenings):
        decision = meetings.record_decision(
            item,
            meetings.DecisionInput(
                treatment=Treatment.lengthening_nail if device.endswith("nail") else Treatment.lengthening_frame,
                rationale=f"Förlängning {target} mm; patientens önskan och god prognos.",
                patient_wishes="Vill gå utan kryckor till sommaren.",
                follow_up_on=today + timedelta(days=60),
                patient_response=PatientResponse.accepted,
            ),
            chair,
        )
        plan = meetings.save_rehab_plan(
            decision,
            meetings.RehabInput(
                weight_bearing=WeightBearing.partial,
                walking_aids="Kryckor",
                physiotherapy="Dagligen på vardagar under förlängning, 2-3 gånger i veckan under konsolidering.",
                occupational_therapy="Hjälpmedel i hemmet; anpassning i skolan.",
                home_exercises="Knäböjning och sträckning dagligen.",
                surgery_on=today - timedelta(days=surgery_days_ago),
                target_mm=target,
                device=device,
                bone=bone,
                rhythm="4 x 0.25 mm" if device.endswith("frame") else "3 x 0.25 mm",
            ),
            chair,
        )
        scheduled = rehab.visits_of(plan)
        for visit in scheduled:
            visit.therapist_id = physio.id
        for days_after_surgery, achieved, flexion, dorsiflexion, consolidated in visits:
            seen = plan.surgery_on + timedelta(days=days_after_surgery)
            rehab.record_followup(
                plan,
                rehab.FollowUpInput(
                    seen_on=seen,
                    achieved_mm=achieved,
                    knee_flexion_deg=flexion,
                    ankle_dorsiflexion_deg=dorsiflexion,
                    weight_bearing="partial",
                    pin_sites="calm" if device.endswith("frame") else "not_applicable",
                    pain=3,
                    consolidated=consolidated,
                ),
                physio,
            )
        if device.endswith("frame"):
            rehab.add_adaptation(
                plan,
                kind="school",
                description="Hiss och extra tid mellan lektioner",
                ordered_on=plan.surgery_on - timedelta(days=10),
                delivered_on=plan.surgery_on,
                actor=ot,
            )
    minutes.sign(conference, chair)
    return conference
