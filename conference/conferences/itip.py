"""Calendar invites (iTIP REQUEST/CANCEL) by email and the personal calendar feed."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from conference.conferences import ical
from conference.conferences.models import (
    Conference,
    ConferenceSeries,
    Invitation,
    Response,
    SeriesParticipant,
)
from conference.db import utcnow
from conference.extensions import db
from conference.i18n import formatting_locale
from conference.notifications import services as outbox
from conference.people.models import User
from conference.urls import absolute_url


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


def queue_conference_itip(conference: Conference, method: str, only: list[Invitation] | None = None) -> None:
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


def queue_series_itip(series: ConferenceSeries, method: str, only: list[SeriesParticipant] | None = None) -> None:
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
