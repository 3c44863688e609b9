"""Lists of meetings: upcoming, the archive of held ones, a user's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select

from conference.conferences.models import (
    Conference,
    ConferenceStatus,
    Invitation,
)
from conference.conferences.rules import unit_tz
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import User

PAGE_SIZE = 50


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
    query = select(Conference).where(or_(Conference.ends_at < utcnow(), Conference.status == ConferenceStatus.held))
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
