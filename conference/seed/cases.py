"""Demo referrals in every state, with measurements over several visits."""

from __future__ import annotations

from conference.db import local_today, utcnow
from conference.people.models import User

# (patient index, proforma, [(age in years, LLD mm, long leg mm, short leg mm)], listed?)
DEMO_CASES = [
    (
        1,
        dict(
            diagnosis="congenital_femoral_deficiency",
            side="left",
            growth_pattern="congenital",
            question="Förväntad skillnad vid vuxen ålder över 5 cm: planera förlängning, och när?",
            clinical_summary="Kongenital femurhypoplasi vänster, stabil knä- och höftled. Går obehindrat med 2 cm klack.",
            patient_wishes="Föräldrarna vill veta vad som väntar; Noah vill kunna spela fotboll med kompisarna.",
            symptoms="Tröttnar efter längre promenader.",
            priority="routine",
            required_specialties=["orthopaedic_surgeon", "physiotherapist"],
        ),
        [(4.0, 22, None, None), (5.0, 26, None, None), (6.0, 30, None, None)],
        True,
    ),
    (
        0,
        dict(
            diagnosis="fibular_hemimelia",
            side="right",
            growth_pattern="congenital",
            question="Inlägg nu, och förlängning eller epifysiodes senare?",
            clinical_summary="Fibulär hemimeli höger typ 1, lätt valgus i knät.",
            patient_wishes="Elsa vill slippa klacken i gympaskorna.",
            symptoms="Haltar när hon är trött.",
            priority="soon",
            required_specialties=["orthopaedic_surgeon"],
        ),
        [(5.0, 14, None, None), (6.0, 16, None, None), (7.0, 18, None, None)],
        True,
    ),
    (
        3,
        dict(
            diagnosis="beckwith_wiedemann",
            side="left",
            growth_pattern="developmental",
            question="Epifysiodes av höger ben nu? Tumörkontroller fortsatt?",
            clinical_summary="Beckwith-Wiedemann-spektrum med hemihypertrofi höger. Ultraljud buk utan anmärkning.",
            patient_wishes="Vill bli jämnlång utan stor operation.",
            symptoms="Ryggont efter träning.",
            priority="urgent",
            required_specialties=["clinical_geneticist", "endocrinologist"],
        ),
        [(12.0, 18, 820, 802), (13.0, 22, 845, 823), (14.0, 25, 866, 841)],
        True,
    ),
    (
        2,
        dict(
            diagnosis="physeal_injury",
            side="right",
            growth_pattern="developmental",
            question="Växtplattsskada distala femur efter osteomyelit: epifysiodes vänster?",
            clinical_summary="Osteomyelit distala femur höger vid 8 års ålder, partiell fysärbrygga.",
            patient_wishes="Alva vill inte ha yttre fixatör.",
            symptoms="Inga smärtor.",
            priority="routine",
            required_specialties=["orthopaedic_surgeon"],
        ),
        [(10.0, 8, 700, 692), (11.0, 12, 730, 718), (12.0, 16, 758, 742)],
        False,
    ),
    (
        4,
        dict(
            diagnosis="post_traumatic",
            side="left",
            growth_pattern="congenital",
            question="Förlängning med märgspik 45 mm och samtidig korrektion av varus?",
            clinical_summary="Tibiafraktur vänster vid 19 års ålder, läkt i 6 graders varus med 45 mm förkortning.",
            patient_wishes="Vill förlängas med spik, inte yttre ram; arbetar som snickare.",
            symptoms="Knäsmärta medialt, ländryggsvärk.",
            priority="routine",
            required_specialties=["orthopaedic_surgeon", "physiotherapist", "occupational_therapist"],
        ),
        [(27.5, 45, None, None)],
        False,
    ),
    (
        5,
        dict(
            diagnosis="mhe",
            side="left",
            growth_pattern="unknown",
            question="Exostoser distala femur och proximala tibia; guidad tillväxt?",
            clinical_summary="Multipla hereditära exostoser, ärftligt från far.",
            priority="routine",
            required_specialties=["clinical_geneticist"],
        ),
        [],
        False,
    ),
    (
        6,
        dict(
            diagnosis="ollier",
            side="right",
            growth_pattern="developmental",
            question="Kvarstående skillnad vid 15 år: förlängning eller acceptera?",
            priority="routine",
        ),
        [],
        False,
    ),
]


# Long-leg bone lengths at the latest visit (patient index -> fields), so the demo shows epiphysiodesis timing.
DEMO_LAST_VISIT_EXTRAS = {0: dict(femur_length_mm=330.0, tibia_length_mm=270.0)}


def seed_cases(staff: dict[str, User], patients: list, series, meeting_now=None):
    """Cases in every state, with measurements over several visits; some listed on the next open conference, the
    other ready ones on the meeting going on now (when there is one)."""
    from datetime import timedelta

    from conference.cases import services as cases

    coordinator = staff["koordinator@example-hospital.se"]
    referrer = staff["ortoped2@example-hospital.se"]
    now = utcnow()
    open_conferences = [c for c in series.conferences if c.case_deadline > now]
    for index, proforma, visits, listed in DEMO_CASES:
        patient = patients[index]
        case = cases.refer_case(
            patient=patient,
            actor=referrer,
            fields={"referring_clinician": referrer.name, "referring_email": referrer.email, **proforma},
        )
        case.referred_at = now - timedelta(days=20 + 7 * index)
        for number, (age, lld, long_leg, short_leg) in enumerate(visits, start=1):
            measured = patient.date_of_birth + timedelta(days=round(age * 365.25))
            measured = min(measured, local_today())
            extras = DEMO_LAST_VISIT_EXTRAS.get(index, {}) if number == len(visits) else {}
            cases.add_measurement(
                case,
                cases.MeasurementInput(
                    measured_on=measured,
                    method="standing_radiograph" if age >= 6 else "blocks",
                    lld_mm=lld,
                    long_leg_mm=long_leg,
                    short_leg_mm=short_leg,
                    mldfa_deg=87 + (index % 3),
                    mpta_deg=86.0,
                    **extras,
                ),
                referrer,
            )
        if not listed and meeting_now is not None and visits:
            cases.list_case(meeting_now, case, coordinator, override_reason="Demo: mötet pågår nu")
        if listed and open_conferences:
            cases.list_case(open_conferences[0], case, coordinator, minutes=8 if index == 3 else 5)
            cases.add_note(
                case,
                staff["fysioterapeut@example-hospital.se"],
                "Träffat patienten: god rörlighet, bra motivation. Behöver gånghjälpmedel vid förlängning.",
            )
