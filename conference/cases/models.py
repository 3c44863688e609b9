"""Cases (referrals) with their structured proforma, measurements, status history and notes (the case list of a
meeting is conference.agenda)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    and_,
    select,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from conference.agenda.models import AgendaItem
from conference.agenda.signals import NOT_DISCUSSED_NOTE
from conference.db import TimestampMixin, UTCDateTime, VersionedMixin, reference, utcnow
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.patients.models import Patient
from conference.people.models import Specialty, User, enum_column


class CaseStatus(LabelledEnum):
    referred = "referred", _l("Referred")
    ready = "ready", _l("Ready")
    listed = "listed", _l("Listed")
    discussed = "discussed", _l("Discussed")
    decided = "decided", _l("Decided")
    follow_up = "follow_up", _l("Follow-up")
    closed = "closed", _l("Closed")


class Side(LabelledEnum):
    left = "left", _l("Left")
    right = "right", _l("Right")
    bilateral = "bilateral", _l("Both")


class Priority(LabelledEnum):
    routine = "routine", _l("Routine")
    soon = "soon", _l("Soon")
    urgent = "urgent", _l("Urgent")


class GrowthPattern(LabelledEnum):
    """For the Paley prediction: congenital LLD grows in proportion; developmental by an inhibition rate. "Not known"
    first (the members' order is the order of the choices): a new referral must not silently choose Paley's
    congenital method."""

    unknown = "unknown", _l("Not known")
    congenital = "congenital", _l("Congenital")
    developmental = "developmental", _l("Developmental")


class MeasurementMethod(LabelledEnum):
    blocks = "blocks", _l("Blocks")
    tape = "tape", _l("Tape measure")
    standing_radiograph = "standing_radiograph", _l("Standing long-leg radiograph")
    scanogram = "scanogram", _l("Scanogram")
    ct_scanogram = "ct_scanogram", _l("CT scanogram")
    eos = "eos", _l("EOS")


# Diagnoses seen in the unit (DOMAIN.md); "other" takes free text.
DIAGNOSES = {
    "congenital_femoral_deficiency": _l("Congenital femoral deficiency"),
    "fibular_hemimelia": _l("Fibular hemimelia"),
    "hemihypertrophy": _l("Hemihypertrophy / hemiatrophy"),
    "perthes": _l("Perthes disease"),
    "physeal_injury": _l("Infection or growth-plate injury"),
    "ollier": _l("Ollier disease"),
    "mhe": _l("Multiple hereditary exostoses"),
    "nf1": _l("Neurofibromatosis type 1"),
    "beckwith_wiedemann": _l("Beckwith-Wiedemann spectrum"),
    "skeletal_dysplasia": _l("Skeletal dysplasia"),
    "post_traumatic": _l("Post-traumatic"),
    "other": _l("Other (describe)"),
}
# Acquired after birth (an injury, an infection, Perthes): the LLD does not grow in proportion from birth, so
# Paley's congenital form does not apply to them.
ACQUIRED_DIAGNOSES = frozenset({"post_traumatic", "physeal_injury", "perthes"})


class CaseLabels:
    """How a case's diagnosis and the specialties it needs read on a page: the same for the mapped case and for the
    rows that list pages read (conference.cases.listing)."""

    diagnosis: str | None
    diagnosis_text: str | None
    required_specialties: list[str]

    @property
    def required_specialty_labels(self) -> list[str]:
        return [Specialty.label_of(s) for s in self.required_specialties or []]

    @property
    def diagnosis_label(self) -> str:
        if self.diagnosis and self.diagnosis != "other":
            label = str(DIAGNOSES.get(self.diagnosis, self.diagnosis))
            return f"{label}: {self.diagnosis_text}" if self.diagnosis_text else label
        return self.diagnosis_text or ""


class Case(CaseLabels, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_referred_at", "status", "referred_at"),
        # The ready queue, read in order: urgent, soon, routine, each longest waiting first (services.ready_queue).
        Index("ix_cases_status_priority_referred_at", "status", "priority", "referred_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(reference("patients.id"), index=True)
    referred_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    referring_clinician: Mapped[str] = mapped_column(String(200))
    referring_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    question: Mapped[str | None] = mapped_column(Text, nullable=True)
    clinical_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    diagnosis: Mapped[str | None] = mapped_column(String(60), nullable=True)
    diagnosis_text: Mapped[str | None] = mapped_column(String(300), nullable=True)
    side: Mapped[Side | None] = mapped_column(enum_column(Side, 20), nullable=True)
    growth_pattern: Mapped[GrowthPattern] = mapped_column(enum_column(GrowthPattern, 20), default=GrowthPattern.unknown)
    patient_wishes: Mapped[str | None] = mapped_column(Text, nullable=True)
    symptoms: Mapped[str | None] = mapped_column(Text, nullable=True)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, 20), default=Priority.routine)
    required_specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, 20), default=CaseStatus.referred, index=True)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    patient: Mapped[Patient] = relationship()
    referred_by: Mapped[User | None] = relationship()
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="(Measurement.measured_on, Measurement.id)"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )
    notes: Mapped[list[PreConferenceNote]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="PreConferenceNote.id"
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(back_populates="case", order_by="AgendaItem.id")

    @property
    def reference(self) -> str:
        """How the app names a case where the patient's name is too much (action items, lists): its number and
        the patient's initials. Never in email subjects or calendar invites."""
        initials = " ".join(f"{part[0]}." for part in (self.patient.given_name, self.patient.family_name) if part)
        return str(_l("Case %(number)d (%(initials)s)", number=self.id, initials=initials))

    @property
    def side_label(self) -> str:
        """Empty when no side is recorded; a value set in this session and not yet loaded back is labelled too."""
        return Side.label_of(self.side) if self.side else ""

    @property
    def latest_measurement(self) -> Measurement | None:
        """The newest measurement: from the whole series when it is loaded (the summary, the minutes), else
        from `newest_measurement`, which lists load alone (one row per case, not the case's history)."""
        if "measurements" in self.__dict__:
            return self.measurements[-1] if self.measurements else None
        return self.newest_measurement

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.status.value}>"


class Measurement(db.Model):
    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(reference("cases.id", part_of=True), index=True)
    measured_on: Mapped[date] = mapped_column(Date)
    method: Mapped[MeasurementMethod] = mapped_column(enum_column(MeasurementMethod, 30))
    lld_mm: Mapped[float] = mapped_column(Float)
    femur_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    tibia_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    foot_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    long_leg_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    short_leg_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    bone_age_years: Mapped[float | None] = mapped_column(Float, nullable=True)
    bone_age_method: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The long leg's femur and tibia, for timing an epiphysiodesis (the segment discrepancies are femur_mm/tibia_mm).
    femur_length_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    tibia_length_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    mad_mm: Mapped[float | None] = mapped_column(Float, nullable=True)
    mldfa_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    mpta_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)

    case: Mapped[Case] = relationship(back_populates="measurements")

    @property
    def bone_age_method_label(self) -> str:
        from conference.cases.prediction import BONE_AGE_METHODS

        return str(BONE_AGE_METHODS.get(self.bone_age_method, "")) if self.bone_age_method else ""


def _newest_measurement_join():
    newer = aliased(Measurement)
    newest_id = (
        select(newer.id)
        .where(newer.case_id == Measurement.case_id)
        .order_by(newer.measured_on.desc(), newer.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return and_(Measurement.case_id == Case.id, Measurement.id == newest_id)


# A case's newest measurement on its own (read-only): lists of cases show the latest LLD and need not load every
# measurement of every case (selectinload(Case.newest_measurement) reads one row per case, by the case_id index).
Case.newest_measurement = relationship(
    Measurement, primaryjoin=_newest_measurement_join, viewonly=True, uselist=False, lazy="select"
)


# What the application writes in a case event's note is a code, shown in the reader's language when read (a
# note typed by a person is kept as typed). "code:treatment:<value>" names the decided treatment.
NOTE_CODE_PREFIX = "code:"
NOTE_MISSING_INFORMATION = "code:missing_information"
NOTE_NOT_DISCUSSED = NOT_DISCUSSED_NOTE
EVENT_NOTE_LABELS = {
    NOTE_MISSING_INFORMATION: _l("Required information missing"),
    NOTE_NOT_DISCUSSED: _l("Not discussed; back to the ready queue"),
}


def treatment_note(treatment_value: str) -> str:
    return f"{NOTE_CODE_PREFIX}treatment:{treatment_value}"


class CaseEvent(db.Model):
    """The case's status history (who moved it, when, from what to what)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(reference("cases.id", part_of=True), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus, 20), nullable=True)
    to_status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, 20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class PreConferenceNote(db.Model):
    """A specialist's note on a case before (or between) conferences, labelled with their specialty."""

    __tablename__ = "pre_conference_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(reference("cases.id", part_of=True), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(reference("agenda_items.id"), nullable=True)
    author_id: Mapped[int] = mapped_column(reference("users.id"))
    specialty: Mapped[Specialty | None] = mapped_column(enum_column(Specialty), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()

    @property
    def specialty_label(self) -> str:
        return self.specialty.label if self.specialty else ""
