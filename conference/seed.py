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
    seed_conferences(by_email)
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
