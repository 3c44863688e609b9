"""Two years of held meetings for the quality page."""

from __future__ import annotations

from conference.db import local_today
from conference.patients.identity import parse_identity_number
from conference.people.models import Role, User
from conference.seed.conferences import book_past_meeting
from conference.seed.staff import demo_identity

# Given names by sex and family names not used by the other demo patients: a patient's name follows the sex in
# the identity number, and no two demo patients share a name.
HISTORY_GIRLS = [
    "Astrid",
    "Ebba",
    "Freja",
    "Saga",
    "Tyra",
    "Vera",
    "Alice",
    "Olivia",
    "Selma",
    "Stella",
    "Ines",
    "Lilly",
]
HISTORY_BOYS = [
    "William",
    "Elias",
    "Lucas",
    "Adam",
    "Oliver",
    "Matteo",
    "Vincent",
    "Alexander",
    "Theo",
    "Leo",
    "Charlie",
]
HISTORY_FAMILIES = [
    "Åberg",
    "Blom",
    "Dahl",
    "Falk",
    "Hedlund",
    "Isaksson",
    "Jonsson",
    "Kvist",
    "Moberg",
    "Nord",
    "Öberg",
    "Palm",
    "Quist",
    "Roos",
    "Sjöberg",
    "Törnqvist",
    "Ungh",
    "Vik",
    "Wall",
    "Ygberg",
    "Zetterberg",
    "Alm",
]


def history_name(girl: bool, index: int) -> tuple[str, str]:
    """The index-th name of that sex: unique for index < len(given names) x len(family names)."""
    given = HISTORY_GIRLS if girl else HISTORY_BOYS
    return given[index % len(given)], HISTORY_FAMILIES[(index // len(given) + index) % len(HISTORY_FAMILIES)]


def seed_history(staff: dict[str, User], meetings_count: int = 25, seed: int = 2026) -> None:
    """Two years of held and signed meetings (every four weeks), deterministically random: referrals that wait,
    get listed and decided; attendance with some absences; a few deferrals; predictions for growing children with a
    measurement after maturity; lengthenings with follow-ups, consolidation and complications. The app's clock is
    moved to each moment so every timestamp is where it would have been; history sends no email."""
    import random
    from datetime import datetime, timedelta

    from flask import current_app

    from conference.cases import services as cases
    from conference.conferences import services as conferences
    from conference.meetings import services as meetings
    from conference.meetings.models import AttendanceStatus, PatientResponse, Treatment, WeightBearing
    from conference.minutes import services as minutes
    from conference.patients import services as patients
    from conference.rehab import services as rehab

    rng = random.Random(seed)
    clock = current_app.extensions["clock"]
    tz = conferences.unit_tz()
    coordinator, chair = staff["koordinator@example-hospital.se"], staff["ortoped1@example-hospital.se"]
    referrer = staff["ortoped2@example-hospital.se"]
    members = [u for u in staff.values() if u.role is Role.specialist and u is not chair]
    physio = staff["fysioterapeut@example-hospital.se"]
    today = local_today()
    first = today - timedelta(days=730)
    first -= timedelta(days=(first.weekday() - 2) % 7)  # a Wednesday
    serial = 100
    named = {True: 0, False: 0}  # names given so far, girls and boys
    try:
        for k in range(meetings_count):
            day = first + timedelta(days=28 * k)
            if day > today - timedelta(days=21):
                break
            start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=tz)
            clock.travel_to(start - timedelta(days=70))
            conference = book_past_meeting(coordinator, chair, start, members, capacity=6)
            listed = []
            for _n in range(rng.randint(3, 5)):
                serial += 1
                growing = rng.random() < 0.6
                girl = rng.random() < 0.5
                age = (
                    # Old enough that most have grown up since: their prediction can be compared with the outcome.
                    rng.uniform(12.0, 13.8)
                    if growing and girl
                    else rng.uniform(14.5, 16.5)
                    if growing
                    else rng.uniform(19, 45)
                )
                birth = (start - timedelta(days=round(age * 365.25))).date()
                digits = f"{serial % 1000:03d}"
                digits = digits[:2] + str((int(digits[2]) // 2) * 2 + (0 if girl else 1))
                given, family = history_name(girl, named[girl])
                try:
                    patient = patients.create_patient(
                        identity=parse_identity_number(demo_identity(birth, digits)),
                        given_name=given,
                        family_name=family,
                        sex="female" if girl else "male",
                        actor=coordinator,
                    )
                except patients.PatientError:
                    continue
                named[girl] += 1
                referred = start - timedelta(days=rng.randint(25, 80))
                clock.travel_to(referred)
                lld = rng.randint(8, 45)
                case = cases.refer_case(
                    patient=patient,
                    actor=referrer,
                    fields={
                        "referring_clinician": referrer.name,
                        "referring_email": referrer.email,
                        "question": "Behandling av benlängdsskillnad?",
                        "clinical_summary": "Historik (demo).",
                        "diagnosis": rng.choice(list(DIAGNOSES_FOR_HISTORY)),
                        "side": rng.choice(["left", "right"]),
                        "growth_pattern": "congenital",
                        "patient_wishes": "Vill kunna röra sig utan besvär.",
                        "priority": "routine",
                        "required_specialties": rng.sample(
                            ["orthopaedic_surgeon", "physiotherapist", "endocrinologist", "clinical_geneticist"], 2
                        ),
                    },
                )
                clock.travel_to(referred + timedelta(days=rng.choice([0, 0, 3, 7, 14])))
                cases.add_measurement(
                    case,
                    cases.MeasurementInput(
                        measured_on=local_today(),
                        method="eos",
                        lld_mm=lld,
                        bone_age_years=round(age, 1) if growing else None,
                    ),
                    referrer,
                )
                clock.travel_to(start - timedelta(days=rng.randint(3, 12)))
                listed.append((cases.list_case(conference, case, coordinator), growing, girl, birth, lld))
            clock.travel_to(start + timedelta(minutes=5))
            meetings.set_attendance(
                conference,
                {
                    chair.id: AttendanceStatus.present,  # the chair ran the meeting
                    **{
                        u.id: AttendanceStatus.absent if rng.random() < 0.15 else AttendanceStatus.present
                        for u in members
                    },
                },
                coordinator,
            )
            for item, growing, girl, birth, lld in listed:
                if rng.random() < 0.12:
                    continue  # not reached: deferred at signing
                if growing:
                    treatment = Treatment.epiphysiodesis if lld >= 20 else Treatment.insoles
                else:
                    treatment = rng.choice([Treatment.lengthening_nail, Treatment.lengthening_frame, Treatment.insoles])
                decision = meetings.record_decision(
                    item,
                    meetings.DecisionInput(
                        treatment=treatment,
                        rationale="Beslut enligt konferensens bedömning (historik).",
                        patient_wishes=None,
                        follow_up_on=None,
                        patient_response=rng.choice(
                            [PatientResponse.accepted] * 5 + [PatientResponse.declined, PatientResponse.will_be_told]
                        ),
                    ),
                    chair,
                )
                mature_on = birth + timedelta(days=round((14.5 if girl else 17.2) * 365.25))
                if growing and mature_on <= today:
                    grown_lld = round(max(0.0, (decision.prediction or {}).get("value_mm") or lld) + rng.gauss(0, 3), 1)
                    clock.travel_to(datetime.combine(mature_on, datetime.min.time(), tzinfo=tz))
                    cases.add_measurement(
                        item.case,
                        cases.MeasurementInput(measured_on=mature_on, method="eos", lld_mm=max(0.0, grown_lld)),
                        referrer,
                    )
                    clock.travel_to(start + timedelta(minutes=30))
                if treatment in (Treatment.lengthening_nail, Treatment.lengthening_frame):
                    target = float(min(60, max(20, lld)))
                    device = "magnetic_nail" if treatment is Treatment.lengthening_nail else "circular_frame"
                    plan = meetings.save_rehab_plan(
                        decision,
                        meetings.RehabInput(
                            weight_bearing=WeightBearing.partial,
                            surgery_on=day + timedelta(days=30),
                            target_mm=target,
                            device=device,
                            bone=rng.choice(["femur", "tibia"]),
                        ),
                        chair,
                    )
                    consolidated_after = round(plan.healing_index_days_per_cm * target / 10 * rng.uniform(0.8, 1.3))
                    for days_after, achieved, done in (
                        (30, target * 0.5, False),
                        (60, target * rng.uniform(0.85, 1.0), False),
                        (consolidated_after, None, True),
                    ):
                        seen = plan.surgery_on + timedelta(days=days_after)
                        if seen > today:
                            break
                        clock.travel_to(datetime.combine(seen, datetime.min.time(), tzinfo=tz) + timedelta(hours=12))
                        rehab.record_followup(
                            plan,
                            rehab.FollowUpInput(
                                seen_on=seen,
                                achieved_mm=round(achieved, 1) if achieved is not None else round(target * 0.97, 1),
                                complications=["pin_site_infection"]
                                if device == "circular_frame" and rng.random() < 0.3
                                else [],
                                consolidated=done,
                            ),
                            physio,
                        )
                    clock.travel_to(start + timedelta(minutes=30))
            clock.travel_to(start + timedelta(hours=2))
            minutes.sign(conference, chair, notify=False)
    finally:
        clock.reset()


DIAGNOSES_FOR_HISTORY = (
    "congenital_femoral_deficiency",
    "fibular_hemimelia",
    "hemihypertrophy",
    "physeal_injury",
    "post_traumatic",
    "mhe",
)
