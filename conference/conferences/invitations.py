"""Who is invited, and their answers."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from conference.audit import services as audit
from conference.conferences.itip import queue_conference_itip, queue_series_itip
from conference.conferences.models import (
    Conference,
    ConferenceSeries,
    ConferenceStatus,
    Invitation,
    InvitationRole,
    Response,
    SeriesParticipant,
)
from conference.conferences.rules import BookingError, Participant, check_participants
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import User


def invite_to_conference(conference: Conference, user: User, role: InvitationRole, *, actor: User) -> Invitation:
    """Invite one more person to a single meeting (or to one occurrence of a series): they get the REQUEST."""
    if conference.status is not ConferenceStatus.scheduled:
        raise BookingError(_("Only a scheduled meeting takes new participants."))
    if any(i.user_id == user.id for i in conference.invitations):
        raise BookingError(_("%(name)s is already invited.", name=user.name), "user")
    check_participants([Participant(user, role)])
    invitation = Invitation(user=user, role=role, response=Response.needs_action)
    conference.invitations.append(invitation)
    db.session.flush()
    audit.record(actor, "conference.invite", "conference", conference.id, detail={"user": user.id})
    queue_conference_itip(conference, "REQUEST", only=[invitation])
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
    check_participants([Participant(user, role)])
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
    queue_series_itip(series, "REQUEST", only=[participant])
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
