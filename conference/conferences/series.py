"""Recurring series: the repeat rule, its occurrences (extended by the scheduler), moving and cancelling."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from conference.agenda import services as case_list
from conference.audit import services as audit
from conference.conferences import ical
from conference.conferences.itip import queue_series_itip
from conference.conferences.models import (
    Conference,
    ConferenceSeries,
    ConferenceStatus,
    Invitation,
    Response,
    SeriesParticipant,
)
from conference.conferences.rules import (
    BookingError,
    Participant,
    check_common,
    check_participants,
    participants_with_chair,
    unit_tz,
)
from conference.db import StaleEdit, check_version, utcnow
from conference.extensions import db
from conference.people.models import User


def expand_starts(rrule: str, first_start: datetime, tzid: str, until: datetime) -> list[datetime]:
    """Occurrence starts (UTC) of `rrule` from `first_start` up to `until`, recurring in local wall time."""
    tz = ZoneInfo(tzid)
    local_first = first_start.astimezone(tz).replace(tzinfo=None)
    local_until = until.astimezone(tz).replace(tzinfo=None)
    rule = rrulestr(_floating_until(rrule, tz), dtstart=local_first)
    return [
        local.replace(tzinfo=tz).astimezone(timezone.utc) for local in rule.between(local_first, local_until, inc=True)
    ]


def _floating_until(rrule: str, tz: ZoneInfo) -> str:
    """The stored RRULE keeps UNTIL in UTC (RFC 5545, with a TZID start); the expansion runs in local wall time,
    so UNTIL is given to it in local wall time too."""
    match = re.search(r"UNTIL=(\d{8}T\d{6})Z", rrule)
    if not match:
        return rrule
    moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc).astimezone(tz)
    return rrule.replace(match.group(0), f"UNTIL={moment:%Y%m%dT%H%M%S}")


def weekly_rrule(first_start: datetime, interval_weeks: int = 1, until: date | None = None) -> str:
    local = first_start.astimezone(unit_tz())
    rule = f"FREQ=WEEKLY;INTERVAL={interval_weeks};BYDAY={ical.DAY_CODES[local.weekday()]}"
    if until is not None:
        end_local = datetime.combine(until, datetime.max.time().replace(microsecond=0), tzinfo=unit_tz())
        rule += f";UNTIL={end_local.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
    return rule


def series_end_date(series: ConferenceSeries) -> date | None:
    """The last date of a series (its RRULE's UNTIL, in the unit's time zone), or None when it has no end."""
    match = re.search(r"UNTIL=(\d{8}T\d{6})Z", series.rrule)
    if not match:
        return None
    moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    return moment.astimezone(unit_tz()).date()


def series_interval_weeks(series: ConferenceSeries) -> int:
    match = re.search(r"INTERVAL=(\d+)", series.rrule)
    return int(match.group(1)) if match else 1


SERIES_PAGE_PLANNED_LIMIT = 104


def planned_starts(series: ConferenceSeries) -> list[datetime]:
    """Starts the series' rule gives after its last booked meeting, up to its end date (the scheduler books them
    as they come within the horizon), so the series page shows the whole series; at most two years of them."""
    end = series_end_date(series)
    if series.cancelled or end is None:
        return []
    booked = {c.recurrence_id for c in series.conferences if c.recurrence_id is not None}
    last = max((c.starts_at for c in series.conferences), default=series.starts_at)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=unit_tz()).astimezone(timezone.utc)
    starts = expand_starts(series.rrule, series.starts_at, series.timezone, until)
    return [s for s in starts if s > last and s not in booked][:SERIES_PAGE_PLANNED_LIMIT]


def book_series(
    *,
    actor: User,
    title: str,
    first_start: datetime,
    duration_minutes: int,
    rrule: str,
    location: str | None,
    video_link: str | None,
    capacity: int,
    case_deadline_hours: int,
    chair: User | None,
    participants: list[Participant],
) -> ConferenceSeries:
    """Book a recurring conference: the series, its occurrences for the coming horizon (each with invitations
    for the standing participants) and one series invite (REQUEST with RRULE) per participant."""
    check_common(
        title,
        location,
        capacity,
        case_deadline_hours,
        first_start,
        first_start + timedelta(minutes=duration_minutes),
        video_link,
    )
    if first_start < utcnow():
        raise BookingError(_("The first meeting cannot be in the past."), "date")
    participants = participants_with_chair(participants, chair)
    check_participants(participants)
    try:
        rrulestr(_floating_until(rrule, unit_tz()), dtstart=first_start.astimezone(unit_tz()).replace(tzinfo=None))
    except ValueError:
        raise BookingError(_("The recurrence is not valid."), "recurrence") from None
    series = ConferenceSeries(
        title=title.strip(),
        rrule=rrule,
        starts_at=first_start,
        timezone=current_app.config["CONFERENCE_TIMEZONE"],
        duration_minutes=duration_minutes,
        location=location,
        video_link=video_link,
        capacity=capacity,
        case_deadline_hours=case_deadline_hours,
        chair=chair,
        cancelled=False,
        ical_sequence=0,
        created_by_id=actor.id,
        participants=[SeriesParticipant(user=p.user, role=p.role) for p in participants],
    )
    db.session.add(series)
    db.session.flush()
    ensure_occurrences(series)
    audit.record(actor, "series.book", "conference_series", series.id)
    queue_series_itip(series, "REQUEST")
    return series


def ensure_occurrences(series: ConferenceSeries, until: datetime | None = None) -> list[Conference]:
    """Create the occurrences of a series up to the horizon that do not exist yet (idempotent)."""
    if series.cancelled:
        return []
    until = until or utcnow() + timedelta(days=current_app.config["SERIES_HORIZON_DAYS"])
    existing = set(db.session.scalars(select(Conference.recurrence_id).where(Conference.series_id == series.id)))
    created = []
    for start in expand_starts(series.rrule, series.starts_at, series.timezone, until):
        if start in existing:
            continue
        conference = Conference(
            series=series,
            recurrence_id=start,
            title=series.title,
            starts_at=start,
            ends_at=start + timedelta(minutes=series.duration_minutes),
            location=series.location,
            video_link=series.video_link,
            capacity=series.capacity,
            case_deadline_hours=series.case_deadline_hours,
            chair=series.chair,
            status=ConferenceStatus.scheduled,
            ical_sequence=series.ical_sequence,
            invitations=[
                Invitation(user=p.user, role=p.role, response=Response.needs_action) for p in series.participants
            ],
        )
        db.session.add(conference)
        created.append(conference)
    db.session.flush()
    return created


def extend_all_series() -> int:
    """Scheduler sweep: keep every active series materialised up to the horizon."""
    count = 0
    for series in db.session.scalars(select(ConferenceSeries).where(ConferenceSeries.cancelled.is_(False))):
        count += len(ensure_occurrences(series))
    return count


def reschedule_series(
    series: ConferenceSeries,
    *,
    actor: User,
    first_start: datetime,
    duration_minutes: int,
    rrule: str,
    expected_version: int | None = None,
) -> ConferenceSeries:
    """Move the whole series from `first_start` on: the same UID, SEQUENCE+1, a new REQUEST. Upcoming
    occurrences keep their identity (and their case lists) and take the new times in order; past ones stay."""
    if series.cancelled:
        raise BookingError(_("The series is cancelled."))
    check_version(series, expected_version)
    if first_start < utcnow():
        raise BookingError(_("The first meeting cannot be in the past."), "date")
    now = utcnow()
    series.starts_at = first_start
    series.duration_minutes = duration_minutes
    series.rrule = rrule
    series.ical_sequence += 1
    upcoming = [c for c in series.conferences if c.starts_at >= now and c.status is ConferenceStatus.scheduled]
    for conference in upcoming:  # free the recurrence ids first: the new ones may equal old ones
        conference.recurrence_id = None
    db.session.flush()
    until = utcnow() + timedelta(days=current_app.config["SERIES_HORIZON_DAYS"])
    starts = expand_starts(rrule, first_start, series.timezone, until)
    for conference, start in zip(upcoming, starts):
        conference.recurrence_id = start
        conference.starts_at = start
        conference.ends_at = start + timedelta(minutes=duration_minutes)
        conference.ical_sequence = series.ical_sequence
    for conference in upcoming[len(starts) :]:
        conference.status = ConferenceStatus.cancelled
        conference.ical_sequence = series.ical_sequence
    db.session.flush()
    ensure_occurrences(series, until)
    audit.record(actor, "series.reschedule", "conference_series", series.id, detail={"rrule": rrule})
    queue_series_itip(series, "REQUEST")
    return series


def upcoming_in_series(series: ConferenceSeries) -> list[Conference]:
    """The series' scheduled meetings that have not started (what cancelling the series cancels)."""
    now = utcnow()
    return [c for c in series.conferences if c.starts_at >= now and c.status is ConferenceStatus.scheduled]


def cancel_series(
    series: ConferenceSeries, *, actor: User, expected_count: int | None = None, expected_version: int | None = None
) -> ConferenceSeries:
    """Cancel the series and its upcoming occurrences: one CANCEL for the whole series (no RECURRENCE-ID).
    `expected_count` is the number of meetings the coordinator confirmed; a different number is refused.
    Cases listed on the cancelled meetings go back to the ready queue."""
    if series.cancelled:
        return series
    check_version(series, expected_version)
    upcoming = upcoming_in_series(series)
    if expected_count is not None and expected_count != len(upcoming):
        raise StaleEdit(series)
    for conference in upcoming:
        case_list.roll_over(conference, None, actor)
    series.cancelled = True
    series.ical_sequence += 1
    now = utcnow()
    for conference in series.conferences:
        if conference.starts_at >= now and conference.status is ConferenceStatus.scheduled:
            conference.status = ConferenceStatus.cancelled
            conference.ical_sequence = series.ical_sequence
    db.session.flush()
    audit.record(actor, "series.cancel", "conference_series", series.id)
    queue_series_itip(series, "CANCEL")
    return series


def all_series() -> list[ConferenceSeries]:
    return list(db.session.scalars(select(ConferenceSeries).order_by(ConferenceSeries.title, ConferenceSeries.id)))
