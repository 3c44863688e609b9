from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar

from conference.conferences import services
from conference.conferences.models import InvitationRole
from conference.db import local_today
from conference.extensions import db
from conference.notifications import outbox
from conference.people.models import User


def calendar_part(message):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    part = parts[0]
    return part.get_param("method"), Calendar.from_ical(part.get_content())


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
    series = services.book_series(
        actor=actor,
        title=title,
        first_start=first_start,
        duration_minutes=120,
        rrule=services.weekly_rrule(first_start, weeks),
        location="Konferensrum Ortopedi 3",
        video_link=None,
        capacity=8,
        case_deadline_hours=48,
        chair=db.session.get(User, chair_id) if chair_id else None,
        participants=[services.Participant(u, InvitationRole.required) for u in users],
    )
    db.session.commit()
    return series


def dispatch():
    result = outbox.dispatch_outbox()
    db.session.remove()
    return result


def events(cal):
    return [c for c in cal.walk("VEVENT")]


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
    return services.book_conference(
        actor=actor,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        location=location,
        video_link=None,
        capacity=capacity,
        case_deadline_hours=24,
        chair=chair,
        participants=[services.Participant(user, services.InvitationRole.required) for user in participants],
        record_only=record_only,
    )


def post_booking(client, **fields):
    """POST the booking form for a single meeting next week, as a browser does; `fields` override the defaults."""
    from tests.conftest import post_form

    with client.application.app_context():
        start = next_weekday(2)
    data = {
        "title": "MDT",
        "kind": "single",
        "date": start.date().isoformat(),
        "start_time": "14:00",
        "end_time": "15:00",
        "capacity": "8",
        "case_deadline_hours": "48",
        "chair": "0",
        **fields,
    }
    return post_form(client, "/conferences/new", data)
