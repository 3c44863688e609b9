"""A signed meeting of two weeks ago, so the minutes can be opened at once."""

from __future__ import annotations

from conference.db import local_today
from conference.people.models import Role, User
from conference.seed.conferences import book_past_meeting


def seed_past_meeting(staff: dict[str, User], patients: list):
    """A meeting held two weeks ago and signed: attendance, two decisions, a distraction plan, action items,
    so the Word minutes can be downloaded at once."""
    from datetime import datetime, timedelta

    from conference.cases import services as cases
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
    from conference.minutes import services as minutes

    tz = conferences.unit_tz()
    day = local_today() - timedelta(days=14)
    day -= timedelta(days=(day.weekday() - 2) % 7)  # the Wednesday before
    start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=tz)
    coordinator = staff["koordinator@example-hospital.se"]
    chair = staff["ortoped1@example-hospital.se"]
    members = [u for u in staff.values() if u.role is Role.specialist and u is not chair]
    conference = book_past_meeting(coordinator, chair, start, members)

    referrer = staff["ortoped2@example-hospital.se"]
    plans = [
        (
            patients[7],
            dict(
                diagnosis="nf1",
                side="right",
                growth_pattern="congenital",
                question="Förlängning av höger tibia 40 mm: märgspik eller ram?",
                clinical_summary="NF1 med kongenital tibiadysplasi, läkt. 40 mm kortare höger ben.",
                patient_wishes="Vill slippa yttre ram; studerar och vill kunna fortsätta.",
                symptoms="Ryggvärk, haltar.",
                priority="routine",
                required_specialties=["clinical_geneticist", "orthopaedic_surgeon", "physiotherapist"],
            ),
            [(23.0, 38), (25.5, 40)],
            Treatment.lengthening_nail,
        ),
        (
            patients[8],
            dict(
                diagnosis="hemihypertrophy",
                side="left",
                growth_pattern="congenital",
                question="Epifysiodes av vänster knä nu?",
                clinical_summary="Isolerad hemihypertrofi vänster. Skelettålder 12,5 år.",
                patient_wishes="Vill inte bli opererad mer än en gång.",
                priority="routine",
                required_specialties=["orthopaedic_surgeon", "endocrinologist"],
            ),
            [(11.0, 15), (12.0, 18), (13.0, 21)],
            Treatment.epiphysiodesis,
        ),
    ]
    items = []
    for patient, proforma, visits, _ in plans:
        case = cases.refer_case(
            patient=patient,
            actor=referrer,
            fields={"referring_clinician": referrer.name, "referring_email": referrer.email, **proforma},
        )
        case.referred_at = conference.starts_at - timedelta(days=30)
        for age, lld in visits:
            measured = min(patient.date_of_birth + timedelta(days=round(age * 365.25)), day)
            cases.add_measurement(
                case,
                cases.MeasurementInput(measured_on=measured, method="eos", lld_mm=lld, mpta_deg=84.0, mldfa_deg=88.0),
                referrer,
            )
        items.append(cases.list_case(conference, case, coordinator, override_reason="Registrerat i efterhand (demo)"))
    meetings.set_attendance(
        conference,
        {
            i.user_id: AttendanceStatus.remote
            if i.user.email.startswith("arbetsterapeut")
            else AttendanceStatus.present
            for i in conference.invitations
        },
        coordinator,
    )

    nail = meetings.record_decision(
        items[0],
        meetings.DecisionInput(
            treatment=Treatment.lengthening_nail,
            rationale="40 mm kvarstående skillnad hos vuxen; märgspik ger bättre komfort och lägre risk för "
            "knäkontraktur än ram. Genetiker bedömer att NF1 inte hindrar förlängning.",
            patient_wishes="Vill ha märgspik, inte ram.",
            follow_up_on=day + timedelta(days=90),
            patient_response=PatientResponse.accepted,
        ),
        chair,
    )
    meetings.save_rehab_plan(
        nail,
        meetings.RehabInput(
            weight_bearing=WeightBearing.partial,
            walking_aids="Kryckor under förlängning och konsolidering",
            physiotherapy="Fysioterapi från dag 1; varje vecka under förlängning, var fjärde vecka under konsolidering.",
            occupational_therapy="Bedömning av hjälpmedel i hemmet och för studier.",
            home_exercises="Knä- och fotledsrörlighet dagligen; stretch av vadmuskulatur.",
            surgery_on=day + timedelta(days=56),
            latency_days=7,
            rate_mm_per_day=1.0,
            target_mm=40,
            healing_index_days_per_cm=31.3,
        ),
        chair,
    )
    meetings.add_action(
        conference,
        owner=chair,
        description="Boka operation och preoperativt besök",
        due_on=day + timedelta(days=21),
        actor=chair,
        decision=nail,
    )
    meetings.add_action(
        conference,
        owner=staff["fysioterapeut@example-hospital.se"],
        description="Preoperativ fysioterapibedömning",
        due_on=day + timedelta(days=42),
        actor=chair,
        decision=nail,
    )
    epiphysiodesis = meetings.record_decision(
        items[1],
        meetings.DecisionInput(
            treatment=Treatment.epiphysiodesis,
            rationale="Förväntad skillnad vid vuxen ålder cirka 22 mm; epifysiodes av vänster distala femur nu.",
            patient_wishes="En operation.",
            follow_up_on=day + timedelta(days=180),
            patient_response=PatientResponse.will_be_told,
        ),
        chair,
    )
    meetings.add_action(
        conference,
        owner=staff["endokrinolog@example-hospital.se"],
        description="Bedöm pubertetsstadium och skelettålder före operationen",
        due_on=local_today() + timedelta(days=10),
        actor=chair,
        decision=epiphysiodesis,
    )
    meetings.add_action(
        conference,
        owner=coordinator,
        description="Skicka besked till remittenten",
        due_on=local_today() + timedelta(days=3),
        actor=chair,
    )
    minutes.sign(conference, chair)
    return conference
