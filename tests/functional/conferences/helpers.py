"""Conference helpers for tests; the booking builders live in tests/factories.py, shared by every test."""

from icalendar import Calendar

from conference.extensions import db
from conference.notifications import outbox
from tests.factories import book_series, book_single, next_weekday

__all__ = ["book_series", "book_single", "calendar_part", "dispatch", "events", "next_weekday", "post_booking"]


def calendar_part(message):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    part = parts[0]
    return part.get_param("method"), Calendar.from_ical(part.get_content())


def dispatch():
    result = outbox.dispatch_outbox()
    db.session.remove()
    return result


def events(cal):
    return [c for c in cal.walk("VEVENT")]


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
