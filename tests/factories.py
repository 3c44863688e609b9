"""Factories shared by every test: real records made through the services (never rows written past them), each
unique by a number the test passes, with dates relative to the app's clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from conference.cases import services as cases
from conference.conferences import services as conferences
from conference.conferences.models import InvitationRole
from conference.db import local_today
from conference.extensions import db
from conference.patients import services as patients
from conference.patients.identity import parse_identity_number
from conference.people.models import User
from conference.seed import demo_identity

READY_FIELDS = dict(
    referring_clinician="Dr Remiss",
    referring_email="remiss@example-hospital.se",
    question="Epifysiodes eller förlängning?",
    clinical_summary="Benlängdsskillnad sedan födseln.",
    diagnosis="congenital_femoral_deficiency",
    side="left",
    growth_pattern="congenital",
    patient_wishes="Vill kunna spela fotboll.",
    priority="routine",
    required_specialties=["clinical_geneticist"],
)


def make_patient(actor: User, n: int = 0, birth: date = date(2020, 6, 2)):
    """A patient with a unique, valid identity number for each n."""
    identity = parse_identity_number(demo_identity(birth + timedelta(days=n // 1000), f"{n % 1000:03d}"))
    return patients.create_patient(
        identity=identity, given_name=f"Barn{n}", family_name=f"Testsson{n}", sex=identity.sex, actor=actor
    )


def make_ready_case(actor_id: int, n: int = 0, measurements: int = 1, **overrides):
    actor = db.session.get(User, actor_id)
    patient = make_patient(actor, n)
    case = cases.refer_case(patient=patient, actor=actor, fields={**READY_FIELDS, **overrides})
    for k in range(measurements):
        cases.add_measurement(
            case,
            cases.MeasurementInput(
                measured_on=date(2024, 1, 1) + timedelta(days=7 * k),
                method="standing_radiograph",
                lld_mm=20 + k,
                long_leg_mm=500 + k,
                short_leg_mm=480 + k,
            ),
            actor,
        )
    return case


def next_weekday(weekday: int, hour: int = 14, weeks_ahead: int = 1) -> datetime:
    """A local (unit time zone) datetime on the given weekday, at least a week ahead, as UTC."""
    tz = ZoneInfo("Europe/Stockholm")  # the unit's zone in the testing config
    today = local_today() + timedelta(days=7 * weeks_ahead)
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=tz).astimezone(timezone.utc)


def book_series(user_ids, *, first_start=None, chair_id=None, weeks=1, actor_id=None, title="MDT benförlängning"):
    users = [db.session.get(User, uid) for uid in user_ids]
    actor = db.session.get(User, actor_id) if actor_id else users[0]
    first_start = first_start or next_weekday(2)
    series = conferences.book_series(
        actor=actor,
        title=title,
        first_start=first_start,
        duration_minutes=120,
        rrule=conferences.weekly_rrule(first_start, weeks),
        location="Konferensrum Ortopedi 3",
        video_link=None,
        capacity=8,
        case_deadline_hours=48,
        chair=db.session.get(User, chair_id) if chair_id else None,
        participants=[conferences.Participant(u, InvitationRole.required) for u in users],
    )
    db.session.commit()
    return series


def book_single(
    actor,
    start,
    *,
    title="Extra MDT",
    hours=1,
    participants=(),
    chair=None,
    location="Rum 2",
    capacity=10,
    record_only=False,
):
    """A single meeting booked through the service (record_only: one that has already begun or taken place)."""
    return conferences.book_conference(
        actor=actor,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        location=location,
        video_link=None,
        capacity=capacity,
        case_deadline_hours=24,
        chair=chair,
        participants=[conferences.Participant(user, InvitationRole.required) for user in participants],
        record_only=record_only,
    )
