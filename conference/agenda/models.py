"""A meeting's case list: one row per case, in order, with the minutes allotted and how it went.

The case and the conference are named by their mapped class names, not imported: the case list sits below both
modules (they import it, never the other way round)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import TimestampMixin, VersionedMixin, reference
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.people.models import enum_column


class AgendaOutcome(LabelledEnum):
    pending = "pending", _l("Waiting")
    discussed = "discussed", _l("Discussed")
    deferred = "deferred", _l("Deferred")


class AgendaItem(TimestampMixin, VersionedMixin, db.Model):
    """A case on a conference's case list, in order, with minutes allotted and how it went."""

    __tablename__ = "agenda_items"
    __table_args__ = (
        Index("ix_agenda_items_conference_position", "conference_id", "position"),
        UniqueConstraint("conference_id", "case_id"),
        # Lets a decision's (agenda item, conference, case) be one foreign key, so they cannot disagree.
        UniqueConstraint("id", "conference_id", "case_id", name="uq_agenda_items_item_conference_case"),
        CheckConstraint("minutes_allotted BETWEEN 1 AND 120", name="minutes_allotted_range"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conference_id: Mapped[int] = mapped_column(reference("conferences.id"), index=True)
    case_id: Mapped[int] = mapped_column(reference("cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    minutes_allotted: Mapped[int] = mapped_column(Integer, default=5)
    outcome: Mapped[AgendaOutcome] = mapped_column(enum_column(AgendaOutcome, 20), default=AgendaOutcome.pending)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    listed_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    carried_over_from_id: Mapped[int | None] = mapped_column(reference("agenda_items.id"), nullable=True)

    conference: Mapped[Conference] = relationship("Conference")  # noqa: F821
    case: Mapped[Case] = relationship("Case", back_populates="agenda_items")  # noqa: F821
