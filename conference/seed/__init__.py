"""A realistic demo unit for `flask seed-demo`: staff, patients conferences, cases, meetings, rehabilitation and two years of history, one builder per module of this package.

Every identity number is generated with a valid check digit from a serial in the 98xx range, so it will not
belong to a real person in our records; names are invented."""

from __future__ import annotations

from sqlalchemy import select

from conference.extensions import db
from conference.patients.identity import parse_identity_number
from conference.people import services as people
from conference.people.models import User
from conference.seed.cases import seed_cases
from conference.seed.conferences import book_meeting_now, seed_conferences
from conference.seed.history import seed_history
from conference.seed.images import seed_images
from conference.seed.letters import seed_letters
from conference.seed.past_meeting import seed_past_meeting
from conference.seed.rehabilitation import seed_rehabilitation
from conference.seed.staff import DEMO_PASSWORD, DEMO_PATIENTS, DEMO_STAFF, check_digit, demo_identity

__all__ = ["DEMO_PASSWORD", "check_digit", "demo_identity", "seed_demo"]


def seed_demo(*, history: bool = True) -> list[User] | None:
    """Create the demo unit (with two years of held meetings for the quality page unless history=False). Returns
    the staff created, or None when the demo was already seeded."""
    if db.session.scalar(select(User).where(User.email == DEMO_STAFF[1][0])) is not None:
        return None
    staff = [
        people.create_user(
            email=email, name=name, role=role, specialty=specialty, title=title, locale=locale, password=DEMO_PASSWORD
        )
        for email, name, role, specialty, title, locale in DEMO_STAFF
    ]
    by_email = {user.email: user for user in staff}
    coordinator = by_email["koordinator@example-hospital.se"]

    from conference.patients import services as patients

    demo_patients = []
    for birth, serial, given, family in DEMO_PATIENTS:
        identity = parse_identity_number(demo_identity(birth, serial))
        demo_patients.append(
            patients.create_patient(
                identity=identity, given_name=given, family_name=family, sex=identity.sex, actor=coordinator
            )
        )
    series = seed_conferences(by_email)
    seed_cases(by_email, demo_patients, series, meeting_now=book_meeting_now(by_email))
    seed_images(by_email)
    past = seed_past_meeting(by_email, demo_patients)
    seed_letters(by_email, demo_patients, past)
    seed_rehabilitation(by_email, demo_patients)
    if history:
        seed_history(by_email)
    return staff
