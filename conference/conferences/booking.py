"""Single meetings: book, move, cancel, mark as held; which meeting comes next in a series."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from conference.agenda import services as case_list
from conference.audit import services as audit
from conference.conferences.itip import queue_conference_itip
from conference.conferences.models import (
    Conference,
    ConferenceStatus,
    Invitation,
    Response,
)
from conference.conferences.rules import (
    BookingError,
    Participant,
    bump_sequence,
    check_common,
    check_no_identifier,
    check_participants,
    participants_with_chair,
)
from conference.db import check_version, utcnow
from conference.extensions import db
from conference.people.models import User


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
    check_common(title, location, capacity, case_deadline_hours, starts_at, ends_at, video_link)
    participants = participants_with_chair(participants, chair)
    check_participants(participants)
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
        queue_conference_itip(conference, "REQUEST")
    return conference


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
    bump_sequence(conference)
    db.session.flush()
    audit.record(
        actor, "conference.reschedule", "conference", conference.id, detail={"starts_at": starts_at.isoformat()}
    )
    queue_conference_itip(conference, "REQUEST")
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
    bump_sequence(conference)
    db.session.flush()
    audit.record(actor, "conference.cancel", "conference", conference.id, detail={"cases": listed, "to": cases_to})
    queue_conference_itip(conference, "CANCEL")
    return conference


def mark_held(conference: Conference, actor: User | None) -> None:
    """For the minutes module: the meeting took place (its minutes were signed)."""
    if conference.status is not ConferenceStatus.held:
        conference.status = ConferenceStatus.held
        audit.record(actor, "conference.held", "conference", conference.id)


def get_conference(conference_id: int) -> Conference | None:
    return db.session.scalar(
        select(Conference)
        .where(Conference.id == conference_id)
        .options(
            selectinload(Conference.invitations).joinedload(Invitation.user),
            selectinload(Conference.series),
        )
    )


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
