"""Conference helpers for tests; the booking builders live in tests/factories.py, shared by every test."""

from icalendar import Calendar

from conference.extensions import db
from conference.notifications import outbox
from tests.factories import book_series, book_single, next_weekday

__all__ = ["book_series", "book_single", "calendar_part", "dispatch", "events", "next_weekday"]


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
