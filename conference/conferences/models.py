"""Conference series (recurring), conferences (one meeting each) and invitations."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import TimestampMixin, UTCDateTime, VersionedMixin, reference
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.people.models import User, enum_column


class ConferenceStatus(LabelledEnum):
    scheduled = "scheduled", _l("Scheduled")
    cancelled = "cancelled", _l("Cancelled")
    held = "held", _l("Held")


class InvitationRole(LabelledEnum):
    chair = "chair", _l("Chair")
    required = "required", _l("Required")
    optional = "optional", _l("Optional")


class Response(LabelledEnum):
    needs_action = "needs_action", _l("No answer yet")
    accepted = "accepted", _l("Attending")
    tentative = "tentative", _l("Maybe")
    declined = "declined", _l("Not attending")


class ConferenceSeries(TimestampMixin, VersionedMixin, db.Model):
    """A recurring conference, e.g. every Wednesday 14:00-16:00. The RRULE is read in `timezone` local time,
    so a weekly 14:00 stays 14:00 across daylight-saving changes."""

    __tablename__ = "conference_series"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("case_deadline_hours >= 0", name="deadline_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    rrule: Mapped[str] = mapped_column(String(200))  # e.g. FREQ=WEEKLY;INTERVAL=1;BYDAY=WE
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())  # first occurrence (UTC)
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    video_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    capacity: Mapped[int] = mapped_column(Integer)
    case_deadline_hours: Mapped[int] = mapped_column(Integer)
    chair_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)

    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    participants: Mapped[list[SeriesParticipant]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="SeriesParticipant.id"
    )
    conferences: Mapped[list[Conference]] = relationship(back_populates="series", order_by="Conference.starts_at")


class SeriesParticipant(db.Model):
    """A standing participant, invited to every occurrence of the series."""

    __tablename__ = "series_participants"
    __table_args__ = (UniqueConstraint("series_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(reference("conference_series.id", part_of=True))
    user_id: Mapped[int] = mapped_column(reference("users.id"))
    role: Mapped[InvitationRole] = mapped_column(enum_column(InvitationRole, 20))

    series: Mapped[ConferenceSeries] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class Conference(TimestampMixin, VersionedMixin, db.Model):
    """One meeting: a standalone conference, or one occurrence of a series (then `recurrence_id` is the
    occurrence's original start, which identifies it in calendars even after it is moved)."""

    __tablename__ = "conferences"
    __table_args__ = (
        Index("ix_conferences_status_starts_at", "status", "starts_at"),
        UniqueConstraint("series_id", "recurrence_id"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int | None] = mapped_column(reference("conference_series.id"), nullable=True, index=True)
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # the list and the archive split on it
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    video_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    capacity: Mapped[int] = mapped_column(Integer)
    case_deadline_hours: Mapped[int] = mapped_column(Integer)
    chair_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    status: Mapped[ConferenceStatus] = mapped_column(
        enum_column(ConferenceStatus, 20), default=ConferenceStatus.scheduled
    )
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)

    series: Mapped[ConferenceSeries | None] = relationship(back_populates="conferences")
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="conference", cascade="all, delete-orphan", order_by="Invitation.id"
    )

    @property
    def case_deadline(self) -> datetime:
        from datetime import timedelta

        return self.starts_at - timedelta(hours=self.case_deadline_hours)

    @property
    def case_list_open(self) -> bool:
        """A case list changes only while its meeting is scheduled: once held (signed) or cancelled it is part of
        the record."""
        return self.status is ConferenceStatus.scheduled

    @property
    def moved(self) -> bool:
        return self.recurrence_id is not None and self.recurrence_id != self.starts_at


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("conference_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conference_id: Mapped[int] = mapped_column(reference("conferences.id", part_of=True), index=True)
    user_id: Mapped[int] = mapped_column(reference("users.id"), index=True)
    role: Mapped[InvitationRole] = mapped_column(enum_column(InvitationRole, 20))
    response: Mapped[Response] = mapped_column(enum_column(Response, 20), default=Response.needs_action)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    conference: Mapped[Conference] = relationship(back_populates="invitations")
    user: Mapped[User] = relationship()
