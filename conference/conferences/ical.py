"""iCalendar objects for conferences (RFC 5545) and iTIP scheduling messages (RFC 5546).

Rules that come from real client bugs: METHOD matches the MIME `method=`; ORGANIZER and ATTENDEE are mailto:
URIs with CN; the UID is stable (derived from the database) and SEQUENCE only grows; the VTIMEZONE is written
with RRULEs (Outlook ignores RDATE-only time zones); nothing that identifies a patient goes into any field.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

from conference.conferences.models import Conference, ConferenceSeries, ConferenceStatus, InvitationRole

PRODID = "-//conference//MDT conference//EN"
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@dataclass(frozen=True)
class Organizer:
    name: str
    email: str

    @classmethod
    def from_sender(cls, sender: str) -> "Organizer":
        name, email = parseaddr(sender)
        return cls(name or email, email)


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    role: InvitationRole
    partstat: str = "NEEDS-ACTION"


def uid_host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "conference.local"


def series_uid(series: ConferenceSeries, base_url: str) -> str:
    return f"mdt-series-{series.id}@{uid_host(base_url)}"


def conference_uid(conference: Conference, base_url: str) -> str:
    if conference.series_id is not None:
        return series_uid(conference.series, base_url)
    return f"mdt-conference-{conference.id}@{uid_host(base_url)}"


# --- VTIMEZONE with RRULEs ---------------------------------------------------------------------------------


def _transitions(zone: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) for each offset change in the year."""
    found = []
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    previous = start.astimezone(zone).utcoffset()
    hour = start
    while hour.year == year:
        nxt = hour + timedelta(hours=1)
        offset = nxt.astimezone(zone).utcoffset()
        if offset != previous:
            found.append((nxt, previous, offset))
            previous = offset
        hour = nxt
    return found


def _byday_rule(local: datetime) -> str:
    weekday = DAY_CODES[local.weekday()]
    days_in_month = pycalendar.monthrange(local.year, local.month)[1]
    nth = -1 if local.day + 7 > days_in_month else (local.day - 1) // 7 + 1
    return f"FREQ=YEARLY;BYMONTH={local.month};BYDAY={nth}{weekday}"


def vtimezone(tzid: str, year: int) -> Timezone:
    """A VTIMEZONE for `tzid` whose STANDARD/DAYLIGHT parts recur by RRULE, from the rules in force in `year`."""
    zone = ZoneInfo(tzid)
    component = Timezone()
    component.add("tzid", tzid)
    transitions = _transitions(zone, year)
    if not transitions:
        offset = datetime(year, 1, 1, tzinfo=zone).utcoffset()
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", offset)
        standard.add("tzoffsetto", offset)
        standard.add("tzname", datetime(year, 1, 1, tzinfo=zone).tzname())
        component.add_component(standard)
        return component
    for instant, before, after in transitions:
        # DTSTART is the local wall time just before the change (RFC 5545 3.6.5), placed in 1970.
        local_before = (instant + before).replace(tzinfo=None)
        rule = _byday_rule(local_before)
        part = TimezoneDaylight() if after > before else TimezoneStandard()
        first = _first_in_1970(local_before)
        part.add("dtstart", first)
        part.add("rrule", rrule_parts(rule))
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", instant.astimezone(zone).tzname())
        component.add_component(part)
    return component


def _first_in_1970(local: datetime) -> datetime:
    """The same 'nth weekday of month' in 1970, at the same wall time."""
    weekday = local.weekday()
    days_in_month = pycalendar.monthrange(local.year, local.month)[1]
    last = local.day + 7 > days_in_month
    nth = (local.day - 1) // 7
    month_days = [
        d
        for d in range(1, pycalendar.monthrange(1970, local.month)[1] + 1)
        if date(1970, local.month, d).weekday() == weekday
    ]
    day = month_days[-1] if last else month_days[nth]
    return datetime(1970, local.month, day, local.hour, local.minute)


# --- Events ------------------------------------------------------------------------------------------------


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = value
    return address


ROLE_PARAM = {
    InvitationRole.chair: "CHAIR",
    InvitationRole.required: "REQ-PARTICIPANT",
    InvitationRole.optional: "OPT-PARTICIPANT",
}


def _base_event(
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    *,
    location: str | None,
    video_link: str | None,
    url: str,
    organizer: Organizer,
    attendees: list[Attendee],
    tz: ZoneInfo,
    now: datetime,
    rsvp: bool,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("sequence", sequence)
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", end.astimezone(tz))
    event.add("summary", summary)
    place = ", ".join(part for part in (location, video_link) if part)
    if place:
        event.add("location", place)
    description = [url]
    if video_link:
        description.insert(0, video_link)
    event.add("description", "\n".join(description))
    event.add("url", url)
    event.add("organizer", _address(organizer.email, organizer.name))
    for attendee in attendees:
        event.add(
            "attendee",
            _address(
                attendee.email,
                attendee.name,
                CUTYPE="INDIVIDUAL",
                ROLE=ROLE_PARAM[attendee.role],
                PARTSTAT=attendee.partstat if not rsvp else "NEEDS-ACTION",
                RSVP="TRUE" if rsvp else "FALSE",
            ),
        )
    event.add("transp", "OPAQUE")
    return event


def _new_calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


@dataclass
class CalendarContext:
    base_url: str
    tzid: str
    organizer: Organizer
    now: datetime

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tzid)


def series_events(
    series: ConferenceSeries,
    occurrences: list[Conference],
    attendees: list[Attendee],
    ctx: CalendarContext,
    url: str,
    *,
    rsvp: bool,
) -> list[Event]:
    """The master VEVENT (RRULE, EXDATE for cancelled occurrences) and one override VEVENT per moved occurrence."""
    uid = series_uid(series, ctx.base_url)
    first_end = series.starts_at + timedelta(minutes=series.duration_minutes)
    master = _base_event(
        uid,
        series.ical_sequence,
        series.starts_at,
        first_end,
        series.title,
        location=series.location,
        video_link=series.video_link,
        url=url,
        organizer=ctx.organizer,
        attendees=attendees,
        tz=ctx.tz,
        now=ctx.now,
        rsvp=rsvp,
    )
    master.add("rrule", rrule_parts(series.rrule))
    if series.cancelled:
        master.add("status", "CANCELLED")
    else:
        master.add("status", "CONFIRMED")
    cancelled = [
        o.recurrence_id.astimezone(ctx.tz)
        for o in occurrences
        if o.status is ConferenceStatus.cancelled and o.recurrence_id is not None
    ]
    for exdate in cancelled:
        master.add("exdate", exdate)
    events = [master]
    for occurrence in occurrences:
        if occurrence.status is not ConferenceStatus.cancelled and _differs_from_series(occurrence, series):
            events.append(occurrence_event(occurrence, attendees, ctx, url, rsvp=rsvp))
    return events


def _differs_from_series(occurrence: Conference, series: ConferenceSeries) -> bool:
    return (
        occurrence.moved
        or occurrence.ends_at - occurrence.starts_at != timedelta(minutes=series.duration_minutes)
        or occurrence.location != series.location
        or occurrence.video_link != series.video_link
    )


def rrule_parts(rule: str) -> dict:
    """'FREQ=WEEKLY;BYDAY=WE' -> {'FREQ': 'WEEKLY', 'BYDAY': ['WE']} for icalendar's vRecur."""
    parts = {}
    for item in rule.split(";"):
        key, value = item.split("=", 1)
        if key == "BYDAY":
            parts[key] = value.split(",")
        elif key == "UNTIL":  # icalendar wants a datetime: UTC, as RFC 5545 requires with a TZID start
            parts[key] = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        else:
            parts[key] = value
    return parts


def occurrence_event(
    conference: Conference, attendees: list[Attendee], ctx: CalendarContext, url: str, *, rsvp: bool
) -> Event:
    """One VEVENT for a standalone conference, or an override of one occurrence (with RECURRENCE-ID)."""
    event = _base_event(
        conference_uid(conference, ctx.base_url),
        conference.ical_sequence,
        conference.starts_at,
        conference.ends_at,
        conference.title,
        location=conference.location,
        video_link=conference.video_link,
        url=url,
        organizer=ctx.organizer,
        attendees=attendees,
        tz=ctx.tz,
        now=ctx.now,
        rsvp=rsvp,
    )
    if conference.recurrence_id is not None:
        event.add("recurrence-id", conference.recurrence_id.astimezone(ctx.tz))
    event.add("status", "CANCELLED" if conference.status is ConferenceStatus.cancelled else "CONFIRMED")
    return event


def build_calendar(method: str | None, events: list[Event], ctx: CalendarContext) -> bytes:
    """A VCALENDAR with the given METHOD (REQUEST, CANCEL, PUBLISH or None for a feed) and its VTIMEZONE."""
    cal = _new_calendar(method)
    years = sorted({e.decoded("dtstart").year for e in events}) or [ctx.now.year]
    cal.add_component(vtimezone(ctx.tzid, years[0]))
    for event in events:
        cal.add_component(event)
    return cal.to_ical()
