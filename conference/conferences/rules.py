"""The booking rules every kind of booking shares: participants, the identifier check, the unit's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from conference.conferences.models import (
    Conference,
    InvitationRole,
)
from conference.notifications import services as outbox
from conference.people.models import User


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


def check_participants(participants: list[Participant]) -> None:
    for participant in participants:
        try:
            outbox.check_recipient(participant.user.email)
        except outbox.RecipientNotAllowed as error:
            raise BookingError(str(error), "participants") from None


def participants_with_chair(participants: list[Participant], chair: User | None) -> list[Participant]:
    result = [p for p in participants if chair is None or p.user.id != chair.id]
    if chair is not None:
        result.insert(0, Participant(chair, InvitationRole.chair))
    return result


def check_common(
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


def bump_sequence(conference: Conference) -> None:
    floor = conference.series.ical_sequence if conference.series is not None else 0
    conference.ical_sequence = max(conference.ical_sequence, floor) + 1
