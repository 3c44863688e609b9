"""The rehabilitation team's own record, after the decision: the planned visits (assigned to a named therapist),
what each follow-up found, and occupational therapy's adaptations and aids. The plan itself (meetings.RehabPlan)
belongs to the signed meeting record and does not change here."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import TimestampMixin, UTCDateTime, VersionedMixin, enum_column, reference, utcnow
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.meetings.models import RehabPlan, WeightBearing
from conference.people.models import User


class PinSites(LabelledEnum):
    not_applicable = "not_applicable", _l("No pins (nail)")
    calm = "calm", _l("Calm")
    irritated = "irritated", _l("Irritated")
    infected = "infected", _l("Infected")


class AdaptationKind(LabelledEnum):
    home = "home", _l("Home adaptation")
    school = "school", _l("School or work adaptation")
    aid = "aid", _l("Aid")


# Complications worth a code (DOMAIN.md: Launay OTSR 2013, PubMed 11352190, ISKD series PMC3008908).
COMPLICATIONS = {
    "knee_contracture": _l("Knee contracture"),
    "ankle_equinus": _l("Ankle equinus"),
    "premature_consolidation": _l("Premature consolidation"),
    "poor_regenerate": _l("Poor regenerate"),
    "pin_site_infection": _l("Pin-site infection"),
    "fracture_after_frame_removal": _l("Fracture after frame removal"),
    "joint_subluxation": _l("Joint subluxation"),
    "nerve_symptoms": _l("Nerve symptoms"),
    "device_failure": _l("Device failure"),
    "other": _l("Other complication"),
}


class RehabVisit(VersionedMixin, db.Model):
    """A planned rehabilitation visit, from the distraction plan; SEQUENCE moves when its date changes."""

    __tablename__ = "rehab_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(reference("rehab_plans.id", part_of=True), index=True)
    number: Mapped[int] = mapped_column(Integer)
    planned_on: Mapped[date] = mapped_column(Date, index=True)
    phase: Mapped[str] = mapped_column(String(20))
    therapist_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True, index=True)
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[RehabPlan] = relationship()
    therapist: Mapped[User | None] = relationship()


class FollowUp(TimestampMixin, db.Model):
    """What a visit found: achieved length, range of motion, weight-bearing, pin sites, pain, complications."""

    __tablename__ = "rehab_followups"
    __table_args__ = (
        CheckConstraint("achieved_mm IS NULL OR achieved_mm >= 0", name="achieved_not_negative"),
        CheckConstraint("pain IS NULL OR pain BETWEEN 0 AND 10", name="pain_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(reference("rehab_plans.id", part_of=True), index=True)
    visit_id: Mapped[int | None] = mapped_column(reference("rehab_visits.id"), nullable=True)
    seen_on: Mapped[date] = mapped_column(Date)
    therapist_id: Mapped[int] = mapped_column(reference("users.id"))
    achieved_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    knee_flexion_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    knee_extension_deficit_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    ankle_dorsiflexion_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    weight_bearing: Mapped[WeightBearing | None] = mapped_column(enum_column(WeightBearing, 20), nullable=True)
    pin_sites: Mapped[PinSites | None] = mapped_column(enum_column(PinSites, 20), nullable=True)
    pain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    complications: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The regenerate is consolidated (frame off, or full weight-bearing allowed with a nail): the healing index
    # achieved is counted from the surgery to this visit.
    consolidated: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A correction is a new row that names the row it corrects; the corrected one is kept as it was (never deleted).
    corrects_id: Mapped[int | None] = mapped_column(reference("rehab_followups.id"), nullable=True, index=True)
    corrected_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    correction_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    corrected_by: Mapped[User | None] = relationship(foreign_keys=[corrected_by_id])
    corrects: Mapped[FollowUp | None] = relationship(remote_side=[id])

    @property
    def complication_labels(self) -> list[str]:
        return [str(COMPLICATIONS.get(c, c)) for c in self.complications or []]


class Adaptation(TimestampMixin, db.Model):
    """Occupational therapy: a home or school adaptation, or an aid, with the dates it was ordered and delivered."""

    __tablename__ = "rehab_adaptations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(reference("rehab_plans.id", part_of=True), index=True)
    kind: Mapped[AdaptationKind] = mapped_column(enum_column(AdaptationKind, 20))
    description: Mapped[str] = mapped_column(String(500))
    ordered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    delivered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # As for follow-ups: a correction is a new row recorded by who corrected it, naming the row it corrects.
    corrects_id: Mapped[int | None] = mapped_column(reference("rehab_adaptations.id"), nullable=True, index=True)
    correction_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    corrects: Mapped[Adaptation | None] = relationship(remote_side=[id])
