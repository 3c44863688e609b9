"""A realistic demo unit for `flask seed-demo`: staff, patients (and, as modules arrive, conferences and cases).

Every identity number is generated with a valid check digit from a serial in the 98xx range, so it will not
belong to a real person in our records; names are invented."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from conference.extensions import db
from conference.patients.identity import parse_identity_number
from conference.people import services as people
from conference.people.models import Role, Specialty, User

DEMO_PASSWORD = "demo-konferens-2026"

DEMO_STAFF = [
    # (email, name, role, specialty, title, locale)
    ("admin@example-hospital.se", "Ingrid Admin", Role.admin, None, "Systemförvaltare", "sv"),
    ("koordinator@example-hospital.se", "Karin Lund", Role.coordinator, None, "MDT-koordinator", "sv"),
    ("ortoped1@example-hospital.se", "Erik Sandberg", Role.specialist, Specialty.orthopaedic_surgeon, "Överläkare", "sv"),
    ("ortoped2@example-hospital.se", "Maria Holm", Role.specialist, Specialty.orthopaedic_surgeon, "Specialistläkare", "sv"),
    ("endokrinolog@example-hospital.se", "Sara Nyström", Role.specialist, Specialty.endocrinologist, "Överläkare", "sv"),
    ("genetiker@example-hospital.se", "Johan Berg", Role.specialist, Specialty.clinical_geneticist, "Överläkare", "sv"),
    ("fysioterapeut@example-hospital.se", "Lisa Ek", Role.specialist, Specialty.physiotherapist, "Fysioterapeut", "sv"),
    ("arbetsterapeut@example-hospital.se", "Anna Lind", Role.specialist, Specialty.occupational_therapist, "Arbetsterapeut", "en"),
]

# (birth date, serial 3 digits, given name, family name)
DEMO_PATIENTS = [
    (date(2019, 3, 14), "981", "Elsa", "Johansson"),   # girl, 7
    (date(2020, 6, 2), "983", "Noah", "Karlsson"),     # boy, 6
    (date(2014, 11, 21), "984", "Alva", "Nilsson"),    # girl, 12
    (date(2012, 1, 9), "985", "Liam", "Eriksson"),     # boy, 14
    (date(1998, 8, 30), "987", "Oskar", "Larsson"),    # adult man
    (date(2016, 5, 17), "982", "Maja", "Persson"),     # girl, 10
    (date(2011, 9, 3), "989", "Hugo", "Svensson"),     # boy, 15
    (date(2001, 2, 26), "986", "Ella", "Gustafsson"),  # adult woman
]


def check_digit(nine_digits: str) -> str:
    total = 0
    for index, char in enumerate(nine_digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def demo_identity(birth: date, serial: str) -> str:
    nine = f"{birth:%y%m%d}{serial}"
    return f"{birth:%Y%m%d}-{serial}{check_digit(nine)}"


def seed_demo() -> list[User] | None:
    """Create the demo unit. Returns the staff created, or None when the demo was already seeded."""
    if db.session.scalar(select(User).where(User.email == DEMO_STAFF[1][0])) is not None:
        return None
    staff = [
        people.create_user(email=email, name=name, role=role, specialty=specialty, title=title, locale=locale,
                           password=DEMO_PASSWORD)
        for email, name, role, specialty, title, locale in DEMO_STAFF
    ]
    by_email = {user.email: user for user in staff}
    coordinator = by_email["koordinator@example-hospital.se"]

    from conference.patients import services as patients

    demo_patients = []
    for birth, serial, given, family in DEMO_PATIENTS:
        identity = parse_identity_number(demo_identity(birth, serial))
        demo_patients.append(
            patients.create_patient(identity=identity, given_name=given, family_name=family,
                                    sex=identity.sex, actor=coordinator)
        )
    series = seed_conferences(by_email)
    seed_cases(by_email, demo_patients, series)
    return staff


def seed_conferences(staff: dict[str, User]):
    """The unit's weekly conference: Wednesdays 14:00-16:00, all specialists as standing participants."""
    from datetime import datetime, timedelta

    from conference.conferences import services as conferences
    from conference.conferences.models import InvitationRole

    tz = conferences.unit_tz()
    today = datetime.now(tz).date()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 or 7)
    first = datetime(wednesday.year, wednesday.month, wednesday.day, 14, 0, tzinfo=tz)
    chair = staff["ortoped1@example-hospital.se"]
    participants = [conferences.Participant(user, InvitationRole.required) for user in staff.values()
                    if user.role is Role.specialist and user is not chair]
    return conferences.book_series(
        actor=staff["koordinator@example-hospital.se"], title="MDT-konferens benlängdsskillnad och felställning",
        first_start=first, duration_minutes=120, rrule=conferences.weekly_rrule(first), location="Konferensrum Ortopedi 3",
        video_link="https://video.example-hospital.se/mdt-ortopedi", capacity=10, case_deadline_hours=48,
        chair=chair, participants=participants,
    )


# (patient index, proforma, [(age in years, LLD mm, long leg mm, short leg mm)], listed?)
DEMO_CASES = [
    (1, dict(diagnosis="congenital_femoral_deficiency", side="left", growth_pattern="congenital",
             question="Förväntad skillnad vid vuxen ålder över 5 cm: planera förlängning, och när?",
             clinical_summary="Kongenital femurhypoplasi vänster, stabil knä- och höftled. Går obehindrat med 2 cm klack.",
             patient_wishes="Föräldrarna vill veta vad som väntar; Noah vill kunna spela fotboll med kompisarna.",
             symptoms="Tröttnar efter längre promenader.", priority="routine",
             required_specialties=["orthopaedic_surgeon", "physiotherapist"]),
     [(4.0, 22, None, None), (5.0, 26, None, None), (6.0, 30, None, None)], True),
    (0, dict(diagnosis="fibular_hemimelia", side="right", growth_pattern="congenital",
             question="Inlägg nu, och förlängning eller epifysiodes senare?",
             clinical_summary="Fibulär hemimeli höger typ 1, lätt valgus i knät.",
             patient_wishes="Elsa vill slippa klacken i gympaskorna.", symptoms="Haltar när hon är trött.",
             priority="soon", required_specialties=["orthopaedic_surgeon"]),
     [(5.0, 14, None, None), (6.0, 16, None, None), (7.0, 18, None, None)], True),
    (3, dict(diagnosis="beckwith_wiedemann", side="left", growth_pattern="developmental",
             question="Epifysiodes av höger ben nu? Tumörkontroller fortsatt?",
             clinical_summary="Beckwith-Wiedemann-spektrum med hemihypertrofi höger. Ultraljud buk utan anmärkning.",
             patient_wishes="Vill bli jämnlång utan stor operation.", symptoms="Ryggont efter träning.",
             priority="urgent", required_specialties=["clinical_geneticist", "endocrinologist"]),
     [(12.0, 18, 820, 802), (13.0, 22, 845, 823), (14.0, 25, 866, 841)], True),
    (2, dict(diagnosis="physeal_injury", side="right", growth_pattern="developmental",
             question="Växtplattsskada distala femur efter osteomyelit: epifysiodes vänster?",
             clinical_summary="Osteomyelit distala femur höger vid 8 års ålder, partiell fysärbrygga.",
             patient_wishes="Alva vill inte ha yttre fixatör.", symptoms="Inga smärtor.", priority="routine",
             required_specialties=["orthopaedic_surgeon"]),
     [(10.0, 8, 700, 692), (11.0, 12, 730, 718), (12.0, 16, 758, 742)], False),
    (4, dict(diagnosis="post_traumatic", side="left", growth_pattern="congenital",
             question="Förlängning med märgspik 45 mm och samtidig korrektion av varus?",
             clinical_summary="Tibiafraktur vänster vid 19 års ålder, läkt i 6 graders varus med 45 mm förkortning.",
             patient_wishes="Vill förlängas med spik, inte yttre ram; arbetar som snickare.",
             symptoms="Knäsmärta medialt, ländryggsvärk.", priority="routine",
             required_specialties=["orthopaedic_surgeon", "physiotherapist", "occupational_therapist"]),
     [(27.5, 45, None, None)], False),
    (5, dict(diagnosis="mhe", side="left", growth_pattern="unknown",
             question="Exostoser distala femur och proximala tibia; guidad tillväxt?",
             clinical_summary="Multipla hereditära exostoser, ärftligt från far.", priority="routine",
             required_specialties=["clinical_geneticist"]),
     [], False),
    (6, dict(diagnosis="ollier", side="right", growth_pattern="developmental",
             question="Kvarstående skillnad vid 15 år: förlängning eller acceptera?", priority="routine"),
     [], False),
]


def seed_cases(staff: dict[str, User], patients: list, series):
    """Cases in every state, with measurements over several visits; some listed on the next open conference."""
    from datetime import date, datetime, timedelta, timezone

    from conference.cases import services as cases

    coordinator = staff["koordinator@example-hospital.se"]
    referrer = staff["ortoped2@example-hospital.se"]
    now = datetime.now(timezone.utc)
    open_conferences = [c for c in series.conferences if c.case_deadline > now]
    for index, proforma, visits, listed in DEMO_CASES:
        patient = patients[index]
        case = cases.refer_case(
            patient=patient, actor=referrer,
            fields={"referring_clinician": referrer.name, "referring_email": referrer.email, **proforma},
        )
        case.referred_at = now - timedelta(days=20 + 7 * index)
        for age, lld, long_leg, short_leg in visits:
            measured = patient.date_of_birth + timedelta(days=round(age * 365.25))
            measured = min(measured, date.today())
            cases.add_measurement(case, cases.MeasurementInput(
                measured_on=measured, method="standing_radiograph" if age >= 6 else "blocks", lld_mm=lld,
                long_leg_mm=long_leg, short_leg_mm=short_leg, mldfa_deg=87 + (index % 3), mpta_deg=86.0), referrer)
        if listed and open_conferences:
            cases.list_case(open_conferences[0], case, coordinator, minutes=8 if index == 3 else 5)
            cases.add_note(case, staff["fysioterapeut@example-hospital.se"],
                           "Träffat patienten: god rörlighet, bra motivation. Behöver gånghjälpmedel vid förlängning.")
