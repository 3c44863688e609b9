"""The demo unit's staff and patients (identity numbers from the 98xx serials, names invented)."""

from __future__ import annotations

from datetime import date

from conference.people.models import DEMO_PASSWORD, Role, Specialty  # noqa: F401 (DEMO_PASSWORD re-exported)

DEMO_STAFF = [
    # (email, name, role, specialty, title, locale)
    ("admin@example-hospital.se", "Ingrid Admin", Role.admin, None, "Systemförvaltare", "sv"),
    ("koordinator@example-hospital.se", "Karin Lund", Role.coordinator, None, "MDT-koordinator", "sv"),
    (
        "ortoped1@example-hospital.se",
        "Erik Sandberg",
        Role.specialist,
        Specialty.orthopaedic_surgeon,
        "Överläkare",
        "sv",
    ),
    (
        "ortoped2@example-hospital.se",
        "Maria Holm",
        Role.specialist,
        Specialty.orthopaedic_surgeon,
        "Specialistläkare",
        "sv",
    ),
    (
        "endokrinolog@example-hospital.se",
        "Sara Nyström",
        Role.specialist,
        Specialty.endocrinologist,
        "Överläkare",
        "sv",
    ),
    ("genetiker@example-hospital.se", "Johan Berg", Role.specialist, Specialty.clinical_geneticist, "Överläkare", "sv"),
    ("fysioterapeut@example-hospital.se", "Lisa Ek", Role.specialist, Specialty.physiotherapist, "Fysioterapeut", "sv"),
    (
        "arbetsterapeut@example-hospital.se",
        "Anna Lind",
        Role.specialist,
        Specialty.occupational_therapist,
        "Arbetsterapeut",
        "en",
    ),
]

# (birth date, serial 3 digits, given name, family name)
DEMO_PATIENTS = [
    (date(2019, 3, 14), "980", "Elsa", "Johansson"),  # girl, 7 (the serial's last digit is even: female)
    (date(2020, 6, 2), "983", "Noah", "Karlsson"),  # boy, 6
    (date(2014, 11, 21), "984", "Alva", "Nilsson"),  # girl, 12
    (date(2012, 1, 9), "985", "Liam", "Eriksson"),  # boy, 14
    (date(1998, 8, 30), "987", "Oskar", "Larsson"),  # adult man
    (date(2016, 5, 17), "982", "Maja", "Persson"),  # girl, 10
    (date(2011, 9, 3), "989", "Hugo", "Svensson"),  # boy, 15
    (date(2001, 2, 26), "986", "Ella", "Gustafsson"),  # adult woman
    (date(2013, 10, 8), "988", "Wilma", "Berglund"),  # girl, 13
    (date(1996, 4, 11), "972", "Sara", "Lind"),  # adult woman, lengthening by nail
    (date(2011, 7, 19), "973", "Arvid", "Holm"),  # boy, 15, lengthening by frame
    (date(1992, 5, 12), "975", "Viktor", "Lindgren"),  # adult man, lengthening in latency
    (date(1994, 9, 23), "974", "Linnea", "Sjögren"),  # adult woman, lengthening consolidating
    (date(1989, 1, 30), "976", "Hanna", "Forsberg"),  # adult woman, lengthening done, nail removed
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
