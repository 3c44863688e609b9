"""What happens in the room: attendance, a decision per case, rehabilitation plans and action items."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.agenda.models import AgendaItem
from conference.cases.models import Case
from conference.conferences.models import Conference
from conference.db import TimestampMixin, UTCDateTime, VersionedMixin, reference
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.people.models import User, enum_column


class AttendanceStatus(LabelledEnum):
    present = "present", _l("Present")
    remote = "remote", _l("Remote")
    absent = "absent", _l("Absent")


class Treatment(LabelledEnum):
    no_treatment = "no_treatment", _l("No treatment")
    insoles = "insoles", _l("Insoles / shoe raise")
    epiphysiodesis = "epiphysiodesis", _l("Epiphysiodesis / growth modulation")
    lengthening_frame = "lengthening_frame", _l("Lengthening with external frame")
    lengthening_nail = "lengthening_nail", _l("Lengthening with intramedullary nail")
    deformity_correction = "deformity_correction", _l("Deformity correction")
    deformity_correction_lengthening = "deformity_correction_lengthening", _l("Deformity correction with lengthening")
    further_investigation = "further_investigation", _l("Further investigation")
    rediscuss = "rediscuss", _l("Re-discuss")


class PatientResponse(LabelledEnum):
    accepted = "accepted", _l("Patient accepted")
    will_be_told = "will_be_told", _l("Patient will be told")
    declined = "declined", _l("Patient declined")


class WeightBearing(LabelledEnum):
    none = "none", _l("No weight-bearing")
    touch = "touch", _l("Touch weight-bearing")
    partial = "partial", _l("Partial weight-bearing")
    as_tolerated = "as_tolerated", _l("Weight-bearing as tolerated")
    full = "full", _l("Full weight-bearing")


class ActionStatus(str, enum.Enum):
    open = "open"
    done = "done"


BONE_LABELS = {"femur": _l("Femur"), "tibia": _l("Tibia"), "both": _l("Femur and tibia")}
DEVICE_LABELS = {
    "magnetic_nail": _l("Magnetic lengthening nail"),
    "motorised_nail": _l("Motorised lengthening nail"),
    "monolateral_frame": _l("Monolateral frame"),
    "circular_frame": _l("Circular frame"),
}
INDEX_LABELS = {
    "healing": _l("healing index"),
    "consolidation": _l("consolidation index"),
    "external fixation": _l("external fixation index"),
    "unit": _l("the unit's default index"),
    "plan": _l("the plan's own index"),
}


class MeetingRecord(db.Model):
    """What the meetings module keeps per conference: whether its record is locked (signed minutes; database
    triggers refuse changes to its decisions, rehabilitation plans and attendance while it is), and the version of
    the attendance list (one optimistic lock for the whole list)."""

    __tablename__ = "meeting_records"

    conference_id: Mapped[int] = mapped_column(reference("conferences.id"), primary_key=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locked_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    attendance_version: Mapped[int] = mapped_column(Integer, default=0)


class MeetingRoom(db.Model):
    """The meeting room's shared state: the case on the big screen (the presenter's) and a revision that every
    change to the meeting bumps, which followers poll (ETag) to see decisions within seconds. Kept apart from
    MeetingRecord, whose rows the signed-record triggers guard: presence is not part of the record."""

    __tablename__ = "meeting_rooms"

    conference_id: Mapped[int] = mapped_column(reference("conferences.id", part_of=True), primary_key=True)
    # A pointer, not a record: removing the case from the list clears it rather than being refused.
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="SET NULL"), nullable=True
    )
    current_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The image the presenter has open (followers show it too); removing the image clears it.
    current_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_images.id", ondelete="SET NULL"), nullable=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=0)


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("conference_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conference_id: Mapped[int] = mapped_column(reference("conferences.id"), index=True)
    user_id: Mapped[int] = mapped_column(reference("users.id"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, 20))

    user: Mapped[User] = relationship()


class Decision(TimestampMixin, VersionedMixin, db.Model):
    """The decision on one case at one conference. Its version also covers its rehabilitation plan: any save
    through the decision page moves it, so a plan-only change cannot silently overwrite another."""

    __tablename__ = "decisions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["agenda_item_id", "conference_id", "case_id"],
            ["agenda_items.id", "agenda_items.conference_id", "agenda_items.case_id"],
            name="fk_decisions_agenda_item",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # case_id and conference_id repeat the agenda item's, for the queries by case and by meeting; the composite
    # foreign key above keeps them equal to the agenda item's.
    agenda_item_id: Mapped[int] = mapped_column(Integer, unique=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    conference_id: Mapped[int] = mapped_column(Integer, index=True)
    treatment: Mapped[Treatment] = mapped_column(enum_column(Treatment, 40))
    rationale: Mapped[str] = mapped_column(Text)
    patient_wishes: Mapped[str | None] = mapped_column(Text, nullable=True)
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    patient_response: Mapped[PatientResponse] = mapped_column(enum_column(PatientResponse, 20))
    recorded_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    # The growth prediction the conference saw when deciding (cases.prediction.Prediction.as_record()), so the
    # minutes print what the decision rested on even after later measurements.
    prediction: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    agenda_item: Mapped[AgendaItem] = relationship(
        foreign_keys=[agenda_item_id], primaryjoin="Decision.agenda_item_id == AgendaItem.id"
    )
    case: Mapped[Case] = relationship(foreign_keys=[case_id], primaryjoin="Decision.case_id == Case.id")
    conference: Mapped[Conference] = relationship(
        foreign_keys=[conference_id], primaryjoin="Decision.conference_id == Conference.id"
    )
    recorded_by: Mapped[User | None] = relationship()
    rehab_plan: Mapped[RehabPlan | None] = relationship(
        back_populates="decision", uselist=False, cascade="all, delete-orphan"
    )
    action_items: Mapped[list[ActionItem]] = relationship(back_populates="decision", order_by="ActionItem.id")


class RehabPlan(TimestampMixin, db.Model):
    """Physiotherapy and occupational therapy plan; for lengthening, the distraction plan's inputs
    (dates are computed from them, see meetings/rehab.py)."""

    __tablename__ = "rehab_plans"
    __table_args__ = (
        CheckConstraint("latency_days IS NULL OR latency_days >= 0", name="latency_not_negative"),
        CheckConstraint("rate_mm_per_day IS NULL OR rate_mm_per_day > 0", name="rate_positive"),
        CheckConstraint("target_mm IS NULL OR target_mm > 0", name="target_positive"),
        CheckConstraint(
            "healing_index_days_per_cm IS NULL OR healing_index_days_per_cm > 0", name="healing_index_positive"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(reference("decisions.id", part_of=True), unique=True)
    weight_bearing: Mapped[WeightBearing] = mapped_column(enum_column(WeightBearing, 20))
    walking_aids: Mapped[str | None] = mapped_column(String(300), nullable=True)
    physiotherapy: Mapped[str | None] = mapped_column(Text, nullable=True)
    occupational_therapy: Mapped[str | None] = mapped_column(Text, nullable=True)
    home_exercises: Mapped[str | None] = mapped_column(Text, nullable=True)
    surgery_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    latency_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rate_mm_per_day: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    healing_index_days_per_cm: Mapped[float | None] = mapped_column(Float, nullable=True)
    distraction_visit_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consolidation_visit_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Which bone and device (the defaults for latency, rate and healing index come from REHAB_DEFAULTS by
    # device x bone x child/adult), and the rhythm of the daily lengthening (e.g. "4 x 0.25 mm").
    bone: Mapped[str | None] = mapped_column(String(10), nullable=True)  # femur | tibia | both
    device: Mapped[str | None] = mapped_column(String(30), nullable=True)  # see meetings.rehab.DEVICES
    rhythm: Mapped[str | None] = mapped_column(String(60), nullable=True)

    decision: Mapped[Decision] = relationship(back_populates="rehab_plan")

    @property
    def bone_label(self) -> str:
        return str(BONE_LABELS.get(self.bone, "")) if self.bone else ""

    @property
    def device_label(self) -> str:
        return str(DEVICE_LABELS.get(self.device, "")) if self.device else ""

    @property
    def is_frame(self) -> bool:
        return bool(self.device and self.device.endswith("frame"))


class ActionItem(TimestampMixin, db.Model):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_owner_status", "owner_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conference_id: Mapped[int] = mapped_column(reference("conferences.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(reference("decisions.id"), nullable=True, index=True)
    owner_id: Mapped[int] = mapped_column(reference("users.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, 10), default=ActionStatus.open, index=True)
    # Completion is follow-up work after the meeting, not an edit of the minutes: the signed document keeps the
    # action as it was at signing, and a trigger refuses changes to the other columns once the meeting is locked.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)

    conference: Mapped[Conference] = relationship()
    decision: Mapped[Decision | None] = relationship(back_populates="action_items")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    @property
    def case(self):
        """The case the action is about (through its decision), or None for other business."""
        return self.decision.case if self.decision is not None else None
