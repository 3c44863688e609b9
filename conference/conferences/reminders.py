"""The scheduler's reminder sweep: the case deadline and the day before."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from conference.agenda import services as case_list
from conference.conferences.models import (
    Conference,
    ConferenceStatus,
    Invitation,
    Response,
)
from conference.conferences.rules import unit_tz
from conference.conferences.signals import deadline_reminder_counts
from conference.db import utcnow
from conference.extensions import db
from conference.i18n import formatting_locale
from conference.notifications import services as outbox
from conference.people import services as people
from conference.people.models import User
from conference.urls import absolute_url


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
