"""Booking conferences: series and single meetings, rescheduling, cancelling, invitations and their emails.

Every change of time, recurrence or status raises the iCalendar SEQUENCE and queues iTIP messages in the same
transaction (the outbox), so a booking is never saved without its invites, nor invites sent for a booking
that was rolled back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from conference.agenda import services as case_list
from conference.audit import services as audit
from conference.conferences import ical
from conference.conferences.models import (
    Conference,
    ConferenceSeries,
    ConferenceStatus,
    Invitation,
    InvitationRole,
    Response,
    SeriesParticipant,
)
from conference.conferences.signals import deadline_reminder_counts
from conference.db import StaleEdit, check_version, utcnow
from conference.extensions import db
from conference.i18n import formatting_locale
from conference.notifications import services as outbox
from conference.people import services as people
from conference.people.models import User
from conference.urls import absolute_url


class BookingError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def check_no_identifier(text: str | None, field: str) -> None:
    """Text that goes into calendar invites and email subjects must not identify a patient (one normaliser for
    every such text: patients.identifies_a_patient)."""
    from conference.patients import services as patients

    if patients.identifies_a_patient(text):
        raise BookingError(
            _("Remove the identity number or name: calendar invites must not identify a patient."), field
        )


def unit_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["CONFERENCE_TIMEZONE"])


@dataclass
class Participant:
    user: User
    role: InvitationRole


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


def _check_participants(participants: list[Participant]) -> None:
    for participant in participants:
        try:
            outbox.check_recipient(participant.user.email)
        except outbox.RecipientNotAllowed as error:
            raise BookingError(str(error), "participants") from None


def _participants_with_chair(participants: list[Participant], chair: User | None) -> list[Participant]:
    result = [p for p in participants if chair is None or p.user.id != chair.id]
    if chair is not None:
        result.insert(0, Participant(chair, InvitationRole.chair))
    return result


def _check_common(
    title: str,
    location: str | None,
    capacity: int,
    deadline_hours: int,
    start: datetime,
    end: datetime,
    video_link: str | None = None,
) -> None:
    check_no_identifier(title, "title")
    check_no_identifier(location, "location")
    check_no_identifier(video_link, "video_link")
    if end <= start:
        raise BookingError(_("The end must be after the start."), "end_time")
    if capacity < 1:
        raise BookingError(_("Capacity must be at least one case."), "capacity")
    if deadline_hours < 0:
        raise BookingError(_("The case deadline cannot be after the start."), "case_deadline_hours")


def book_conference(
    *,
    actor: User,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str | None,
    video_link: str | None,
    capacity: int,
    case_deadline_hours: int,
    chair: User | None,
    participants: list[Participant],
    record_only: bool = False,
) -> Conference:
    """Book a single meeting and queue an invite (iTIP REQUEST) to each participant. With `record_only`, register
    a meeting that has already taken place (for example during a system outage): no invitations are sent."""
    _check_common(title, location, capacity, case_deadline_hours, starts_at, ends_at, video_link)
    participants = _participants_with_chair(participants, chair)
    _check_participants(participants)
    if starts_at < utcnow() and not record_only:
        raise BookingError(_("The meeting cannot start in the past."), "date")
    conference = Conference(
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        video_link=video_link,
        capacity=capacity,
        case_deadline_hours=case_deadline_hours,
        chair=chair,
        status=ConferenceStatus.scheduled,
        ical_sequence=0,
        invitations=[Invitation(user=p.user, role=p.role, response=Response.needs_action) for p in participants],
    )
    db.session.add(conference)
    db.session.flush()
    audit.record(actor, "conference.book", "conference", conference.id, detail={"record_only": record_only})
    if not record_only:
        _queue_conference_itip(conference, "REQUEST")
    return conference


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
    _check_common(
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
    participants = _participants_with_chair(participants, chair)
    _check_participants(participants)
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
    _queue_series_itip(series, "REQUEST")
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


def _bump(conference: Conference) -> None:
    floor = conference.series.ical_sequence if conference.series is not None else 0
    conference.ical_sequence = max(conference.ical_sequence, floor) + 1


def reschedule_conference(
    conference: Conference,
    *,
    actor: User,
    starts_at: datetime,
    ends_at: datetime,
    location: str | None = None,
    video_link: str | None = None,
    expected_version: int | None = None,
) -> Conference:
    """Move one meeting (a standalone one, or one occurrence of a series): SEQUENCE+1 and a new REQUEST
    with the same UID (and the occurrence's RECURRENCE-ID)."""
    if conference.status is not ConferenceStatus.scheduled:
        raise BookingError(_("Only a scheduled meeting can be moved."))
    check_version(conference, expected_version)
    check_no_identifier(location, "location")
    check_no_identifier(video_link, "video_link")
    if ends_at <= starts_at:
        raise BookingError(_("The end must be after the start."), "end_time")
    if starts_at < utcnow():
        raise BookingError(_("A meeting cannot be moved into the past."), "date")
    conference.starts_at, conference.ends_at = starts_at, ends_at
    conference.location = location
    conference.video_link = video_link
    _bump(conference)
    db.session.flush()
    audit.record(
        actor, "conference.reschedule", "conference", conference.id, detail={"starts_at": starts_at.isoformat()}
    )
    _queue_conference_itip(conference, "REQUEST")
    return conference


class CasesNeedADestination(BookingError):
    """Cancelling a meeting with listed cases needs to know where they go (next meeting or the ready queue)."""

    def __init__(self, count: int):
        super().__init__(_("%(count)d listed cases need somewhere to go.", count=count), "cases_to")
        self.count = count


CASE_DESTINATIONS = ("next", "queue")


def cancel_conference(
    conference: Conference,
    *,
    actor: User,
    reason: str | None = None,
    cases_to: str | None = None,
    expected_version: int | None = None,
) -> Conference:
    """Cancel one meeting: STATUS:CANCELLED, SEQUENCE+1, iTIP CANCEL to everyone invited. Its listed cases go to
    the next meeting of the series (`cases_to="next"`) or back to the ready queue ("queue"); with listed cases and
    no destination this raises CasesNeedADestination, so the coordinator confirms where they go."""
    if conference.status is ConferenceStatus.cancelled:
        return conference
    if conference.status is ConferenceStatus.held:
        raise BookingError(_("A meeting that was held cannot be cancelled."))
    check_version(conference, expected_version)
    listed = case_list.size(conference.id)
    if listed and cases_to not in CASE_DESTINATIONS:
        raise CasesNeedADestination(listed)
    target = next_conference_in_series(conference) if cases_to == "next" else None
    if listed and cases_to == "next" and target is None:
        raise BookingError(_("There is no next meeting in the series: send the cases back to the queue."), "cases_to")
    if listed:
        case_list.roll_over(conference, target, actor)
    conference.status = ConferenceStatus.cancelled
    conference.notes = reason
    _bump(conference)
    db.session.flush()
    audit.record(actor, "conference.cancel", "conference", conference.id, detail={"cases": listed, "to": cases_to})
    _queue_conference_itip(conference, "CANCEL")
    return conference


def mark_held(conference: Conference, actor: User | None) -> None:
    """For the minutes module: the meeting took place (its minutes were signed)."""
    if conference.status is not ConferenceStatus.held:
        conference.status = ConferenceStatus.held
        audit.record(actor, "conference.held", "conference", conference.id)


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
    _queue_series_itip(series, "REQUEST")
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
    _queue_series_itip(series, "CANCEL")
    return series


def invite_to_conference(conference: Conference, user: User, role: InvitationRole, *, actor: User) -> Invitation:
    """Invite one more person to a single meeting (or to one occurrence of a series): they get the REQUEST."""
    if conference.status is not ConferenceStatus.scheduled:
        raise BookingError(_("Only a scheduled meeting takes new participants."))
    if any(i.user_id == user.id for i in conference.invitations):
        raise BookingError(_("%(name)s is already invited.", name=user.name), "user")
    _check_participants([Participant(user, role)])
    invitation = Invitation(user=user, role=role, response=Response.needs_action)
    conference.invitations.append(invitation)
    db.session.flush()
    audit.record(actor, "conference.invite", "conference", conference.id, detail={"user": user.id})
    _queue_conference_itip(conference, "REQUEST", only=[invitation])
    return invitation


def invite_specialty(conference: Conference, specialty, *, actor: User) -> list[Invitation]:
    """Invite everyone active of a specialty not yet invited (the case list needs it and nobody of it is coming).
    Each gets the meeting's REQUEST."""
    from conference.people.models import Role

    invited = {i.user_id for i in conference.invitations}
    users = db.session.scalars(
        select(User)
        .where(User.specialty == specialty, User.active.is_(True), User.role == Role.specialist)
        .order_by(User.name)
    ).all()
    added = [
        invite_to_conference(conference, user, InvitationRole.required, actor=actor)
        for user in users
        if user.id not in invited
    ]
    if not added:
        raise BookingError(_("Nobody of that specialty is left to invite."))
    return added


def invite_to_series(series: ConferenceSeries, user: User, role: InvitationRole, *, actor: User) -> SeriesParticipant:
    """Add a standing participant: invited to every upcoming occurrence, and sent the series REQUEST."""
    if series.cancelled:
        raise BookingError(_("The series is cancelled."))
    if any(p.user_id == user.id for p in series.participants):
        raise BookingError(_("%(name)s is already invited.", name=user.name), "user")
    _check_participants([Participant(user, role)])
    participant = SeriesParticipant(user=user, role=role)
    series.participants.append(participant)
    now = utcnow()
    for conference in series.conferences:
        if (
            conference.starts_at >= now
            and conference.status is ConferenceStatus.scheduled
            and not any(i.user_id == user.id for i in conference.invitations)
        ):
            conference.invitations.append(Invitation(user=user, role=role, response=Response.needs_action))
    db.session.flush()
    audit.record(actor, "series.invite", "conference_series", series.id, detail={"user": user.id})
    _queue_series_itip(series, "REQUEST", only=[participant])
    return participant


def respond(conference: Conference, user: User, response: Response) -> Invitation:
    """Record a participant's answer (attending, maybe, not attending), while the meeting is still to come."""
    if conference.status is not ConferenceStatus.scheduled:
        raise BookingError(_("Answers close when a meeting is held or cancelled."))
    invitation = next((i for i in conference.invitations if i.user_id == user.id), None)
    if invitation is None:
        raise BookingError(_("You are not invited to this meeting."))
    invitation.response = response
    invitation.responded_at = utcnow()
    audit.record(user, "conference.respond", "conference", conference.id, detail={"response": response.value})
    return invitation


# --- reading ----------------------------------------------------------------------------------------------


def get_conference(conference_id: int) -> Conference | None:
    return db.session.scalar(
        select(Conference)
        .where(Conference.id == conference_id)
        .options(
            selectinload(Conference.invitations).joinedload(Invitation.user),
            selectinload(Conference.series),
        )
    )


PAGE_SIZE = 50


def room_clashes(booked: list[Conference]) -> list[tuple[Conference, Conference]]:
    """(ours, theirs): other scheduled meetings in the same room at an overlapping time. A warning, not a refusal:
    rooms are also booked outside this system, and a unit may share one on purpose. One query however many."""
    rooms = {c.location.strip().lower() for c in booked if c.location and c.status is ConferenceStatus.scheduled}
    if not rooms:
        return []
    ids = {c.id for c in booked}
    candidates = db.session.scalars(
        select(Conference).where(
            func.lower(func.trim(Conference.location)).in_(rooms),
            Conference.status == ConferenceStatus.scheduled,
            Conference.starts_at < max(c.ends_at for c in booked),
            Conference.ends_at > min(c.starts_at for c in booked),
            Conference.id.not_in(ids),
        )
    ).all()
    return [
        (ours, theirs)
        for ours in booked
        if ours.location
        for theirs in candidates
        if theirs.location.strip().lower() == ours.location.strip().lower()
        and theirs.starts_at < ours.ends_at
        and theirs.ends_at > ours.starts_at
    ]


def upcoming(limit: int = PAGE_SIZE, *, include_cancelled: bool = True, offset: int = 0) -> list[Conference]:
    """Meetings not yet over, soonest first, one page at a time."""
    query = (
        select(Conference)
        .where(Conference.ends_at >= utcnow())
        .order_by(Conference.starts_at, Conference.id)
        .limit(limit)
        .offset(offset)
    )
    if not include_cancelled:
        query = query.where(Conference.status == ConferenceStatus.scheduled)
    return list(db.session.scalars(query))


def upcoming_count() -> int:
    return db.session.scalar(select(func.count(Conference.id)).where(Conference.ends_at >= utcnow())) or 0


@dataclass
class ArchivePage:
    conferences: list[Conference]
    total: int


def archive(
    *, start: date | None, end: date | None, series_id: int | None, offset: int = 0, limit: int = PAGE_SIZE
) -> ArchivePage:
    """Past meetings (held, cancelled, or past and never signed), newest first, filtered by the unit's dates
    and series; one page and the count."""
    tz = unit_tz()
    # Signed minutes make a meeting held: it belongs to the archive at once, not only after its booked end.
    query = select(Conference).where(
        or_(Conference.ends_at < utcnow(), Conference.status == ConferenceStatus.held)
    )
    if start:
        query = query.where(
            Conference.starts_at >= datetime.combine(start, time.min, tzinfo=tz).astimezone(timezone.utc)
        )
    if end:
        after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz).astimezone(timezone.utc)
        query = query.where(Conference.starts_at < after)
    if series_id:
        query = query.where(Conference.series_id == series_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Conference.starts_at.desc(), Conference.id.desc()).limit(limit).offset(offset)
    )
    return ArchivePage(list(rows), total)


def all_series() -> list[ConferenceSeries]:
    return list(db.session.scalars(select(ConferenceSeries).order_by(ConferenceSeries.title, ConferenceSeries.id)))


def upcoming_for_user(user: User, limit: int = 10) -> list[Conference]:
    return list(
        db.session.scalars(
            select(Conference)
            .join(Invitation)
            .where(
                Invitation.user_id == user.id,
                Conference.ends_at >= utcnow(),
                Conference.status == ConferenceStatus.scheduled,
            )
            .order_by(Conference.starts_at)
            .limit(limit)
        )
    )


def next_conference_in_series(conference: Conference) -> Conference | None:
    if conference.series_id is None:
        return None
    return db.session.scalar(
        select(Conference)
        .where(
            Conference.series_id == conference.series_id,
            Conference.starts_at > conference.starts_at,
            Conference.status == ConferenceStatus.scheduled,
        )
        .order_by(Conference.starts_at)
        .limit(1)
    )


# --- iCalendar and email ----------------------------------------------------------------------------------


def _context() -> ical.CalendarContext:
    cfg = current_app.config
    return ical.CalendarContext(
        base_url=cfg["CONFERENCE_BASE_URL"],
        tzid=cfg["CONFERENCE_TIMEZONE"],
        organizer=ical.Organizer.from_sender(cfg["MAIL_SENDER"]),
        now=utcnow(),
    )


def _attendees(invitations) -> list[ical.Attendee]:
    partstat = {
        Response.needs_action: "NEEDS-ACTION",
        Response.accepted: "ACCEPTED",
        Response.tentative: "TENTATIVE",
        Response.declined: "DECLINED",
    }
    # Series participants have no answer of their own: each occurrence holds the answers.
    return [
        ical.Attendee(i.user.name, i.user.email, i.role, partstat[getattr(i, "response", Response.needs_action)])
        for i in invitations
    ]


def series_calendar(series: ConferenceSeries, method: str | None, *, rsvp: bool) -> bytes:
    ctx = _context()
    url = absolute_url("conferences.series_detail", series_id=series.id)
    attendees = _attendees(series.participants)
    if method == "CANCEL":
        events = ical.series_events(series, [], attendees, ctx, url, rsvp=False)
    else:
        events = ical.series_events(series, list(series.conferences), attendees, ctx, url, rsvp=rsvp)
    return ical.build_calendar(method, events, ctx)


def conference_calendar(conference: Conference, method: str | None, *, rsvp: bool) -> bytes:
    """The calendar object of one meeting: for an occurrence of a series, the whole series (so it lands in the
    same calendar entry as the invite); for a standalone meeting, its own event."""
    if conference.series is not None and method is None:
        return series_calendar(conference.series, None, rsvp=False)
    ctx = _context()
    url = absolute_url("conferences.detail", conference_id=conference.id)
    event = ical.occurrence_event(conference, _attendees(conference.invitations), ctx, url, rsvp=rsvp)
    return ical.build_calendar(method, [event], ctx)


def feed_for_user(user: User, extra: list | None = None) -> bytes:
    """The user's personal subscription feed: the series and single meetings they are invited to, and `extra`
    events from other modules (a therapist's rehabilitation visits)."""
    ctx = _context()
    since = utcnow() - timedelta(days=30)
    conferences = list(
        db.session.scalars(
            select(Conference)
            .join(Invitation)
            .where(Invitation.user_id == user.id, Conference.ends_at >= since)
            .options(selectinload(Conference.invitations).joinedload(Invitation.user), selectinload(Conference.series))
            .order_by(Conference.starts_at)
        )
    )
    events = []
    seen_series = set()
    for conference in conferences:
        if conference.series is not None:
            if conference.series_id in seen_series:
                continue
            seen_series.add(conference.series_id)
            series = conference.series
            events += ical.series_events(
                series,
                list(series.conferences),
                _attendees(series.participants),
                ctx,
                absolute_url("conferences.series_detail", series_id=series.id),
                rsvp=False,
            )
        else:
            events.append(
                ical.occurrence_event(
                    conference,
                    _attendees(conference.invitations),
                    ctx,
                    absolute_url("conferences.detail", conference_id=conference.id),
                    rsvp=False,
                )
            )
    events += list(extra or [])
    return ical.build_calendar(None, events, ctx)


def _subject(kind: str, title: str, when: datetime) -> str:
    stamp = format_datetime(when, "short")
    subjects = {
        "REQUEST": _("Invitation: %(title)s, %(when)s", title=title, when=stamp),
        "UPDATE": _("Updated: %(title)s, %(when)s", title=title, when=stamp),
        "CANCEL": _("Cancelled: %(title)s, %(when)s", title=title, when=stamp),
    }
    return subjects[kind]


def _queue_itip(
    *,
    method: str,
    user: User,
    title: str,
    when: datetime,
    ics: bytes,
    key: str,
    url: str,
    updated: bool,
    series: bool,
    location: str | None,
    video_link: str | None,
    conference_id: int | None,
) -> None:
    with force_locale(formatting_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"])):
        kind = "CANCEL" if method == "CANCEL" else ("UPDATE" if updated else "REQUEST")
        context = dict(
            user=user,
            title=title,
            when=when,
            url=url,
            method=method,
            updated=updated,
            series=series,
            location=location,
            video_link=video_link,
        )
        outbox.queue_email(
            dedupe_key=key,
            kind="cancel" if method == "CANCEL" else "invite",
            recipient=user.email,
            subject=_subject(kind, title, when),
            text_body=render_template("emails/invite.txt", **context),
            html_body=render_template("emails/invite.html", **context),
            ics=ics.decode(),
            ics_method=method,
            conference_id=conference_id,
        )


def _queue_conference_itip(conference: Conference, method: str, only: list[Invitation] | None = None) -> None:
    uid = ical.conference_uid(conference, current_app.config["CONFERENCE_BASE_URL"])
    recurrence = conference.recurrence_id.strftime("%Y%m%dT%H%M%SZ") if conference.recurrence_id else "single"
    ics = conference_calendar(conference, method, rsvp=method == "REQUEST")
    for invitation in conference.invitations if only is None else only:
        _queue_itip(
            method=method,
            user=invitation.user,
            title=conference.title,
            when=conference.starts_at,
            ics=ics,
            key=f"itip:{uid}:{recurrence}:{conference.ical_sequence}:{method}:{invitation.user_id}",
            url=absolute_url("conferences.detail", conference_id=conference.id),
            updated=conference.ical_sequence > 0,
            series=False,
            location=conference.location,
            video_link=conference.video_link,
            conference_id=conference.id,
        )


def _queue_series_itip(series: ConferenceSeries, method: str, only: list[SeriesParticipant] | None = None) -> None:
    uid = ical.series_uid(series, current_app.config["CONFERENCE_BASE_URL"])
    ics = series_calendar(series, method, rsvp=method == "REQUEST")
    for participant in series.participants if only is None else only:
        _queue_itip(
            method=method,
            user=participant.user,
            title=series.title,
            when=series.starts_at,
            ics=ics,
            key=f"itip:{uid}:master:{series.ical_sequence}:{method}:{participant.user_id}",
            url=absolute_url("conferences.series_detail", series_id=series.id),
            updated=series.ical_sequence > 0,
            series=True,
            location=series.location,
            video_link=series.video_link,
            conference_id=None,
        )


# --- reminders --------------------------------------------------------------------------------------------


def queue_reminders(now: datetime | None = None) -> int:
    """Scheduler sweep: the case-deadline reminder to coordinators and the day-before reminder to participants.
    Each (conference, recipient, kind) is queued once, however often the sweep runs."""

    now = now or utcnow()
    cfg = current_app.config
    queued = 0
    horizon = now + timedelta(days=30)
    conferences = list(
        db.session.scalars(
            select(Conference)
            .where(
                Conference.status == ConferenceStatus.scheduled,
                Conference.starts_at > now,
                Conference.starts_at <= horizon,
            )
            .options(selectinload(Conference.invitations).joinedload(Invitation.user))
        )
    )
    coordinators = people.active_coordinators()
    for conference in conferences:
        deadline = conference.case_deadline
        if deadline > now and deadline - now <= timedelta(hours=cfg["REMINDER_DEADLINE_HOURS_BEFORE"]):
            for user in coordinators:
                queued += _queue_reminder(conference, user, "deadline")
        if conference.starts_at - now <= timedelta(hours=cfg["REMINDER_DAY_BEFORE_HOURS"]):
            for invitation in conference.invitations:
                if invitation.response is not Response.declined and invitation.user.active:
                    queued += _queue_reminder(conference, invitation.user, "day_before", now=now)
    return queued


def _case_counts(conference: Conference) -> dict[str, int]:
    """For the coordinator's deadline reminder: how full the list is and how many ready cases wait."""
    counts = {"listed": case_list.size(conference.id)}
    for _receiver, more in deadline_reminder_counts.send(conference):
        counts.update(more)
    return counts


def _queue_reminder(conference: Conference, user: User, kind: str, now: datetime | None = None) -> int:
    # The sweep runs the day before, but a meeting booked (or swept) on its own day is today, not tomorrow.
    tz = unit_tz()
    today = (now or utcnow()).astimezone(tz).date() == conference.starts_at.astimezone(tz).date()
    with force_locale(formatting_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"])):
        when = format_datetime(conference.starts_at, "short")
        if kind == "deadline":
            subject = _("Case list closes soon: %(title)s, %(when)s", title=conference.title, when=when)
        elif today:
            subject = _("Today: %(title)s, %(when)s", title=conference.title, when=when)
        else:
            subject = _("Tomorrow: %(title)s, %(when)s", title=conference.title, when=when)
        context = dict(
            user=user,
            conference=conference,
            kind=kind,
            today=today,
            url=absolute_url("conferences.detail", conference_id=conference.id),
            case_counts=_case_counts(conference) if kind == "deadline" else None,
        )
        try:
            email = outbox.queue_email(
                dedupe_key=f"reminder:{kind}:{conference.id}:{user.id}",
                kind=f"reminder_{kind}",
                recipient=user.email,
                subject=subject,
                text_body=render_template("emails/reminder.txt", **context),
                conference_id=conference.id,
            )
        except outbox.RecipientNotAllowed:
            return 0
    return 1 if email is not None else 0
