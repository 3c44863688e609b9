"""Cases: referral, readiness, status workflow, measurements, notes, the case list (agenda) of a conference,
and the one-page summary. Every view and change of a case is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from conference.agenda import services as case_list
from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.agenda.signals import case_back_to_queue
from conference.audit import services as audit
from conference.cases import listing, plausibility
from conference.cases import prediction as paley
from conference.cases.models import (
    ACQUIRED_DIAGNOSES,
    NOTE_MISSING_INFORMATION,
    Case,
    CaseEvent,
    CaseStatus,
    GrowthPattern,
    Measurement,
    MeasurementMethod,
    PreConferenceNote,
    Priority,
    Side,
)
from conference.conferences import services as conferences
from conference.conferences.models import Conference, ConferenceStatus
from conference.conferences.signals import deadline_reminder_counts
from conference.db import StaleEdit, check_version, local_today, utcnow
from conference.errors import DomainError
from conference.extensions import db
from conference.patients.models import Patient
from conference.people.models import Specialty, User


class CaseError(DomainError):
    """A change to a case that its rules refuse."""


ConcurrentEdit = StaleEdit  # one optimistic-locking mechanism (conference.db)


# The proforma fields that may be required before a case is "ready" (CASE_REQUIRED_FIELDS picks from these).
REQUIRABLE_FIELDS: dict[str, Any] = {
    "question": _l("Question for the conference"),
    "clinical_summary": _l("Clinical summary"),
    "diagnosis": _l("Diagnosis"),
    "side": _l("Side"),
    "patient_wishes": _l("The patient's own wishes"),
    "symptoms": _l("Symptoms"),
    "referring_email": _l("Referrer's email"),
    "growth_pattern": _l("Congenital or developmental"),
    "measurement": _l("At least one LLD measurement"),
}

# Allowed manual moves in the workflow (listing and meetings move cases through their own services).
TRANSITIONS: dict[CaseStatus, set[CaseStatus]] = {
    CaseStatus.referred: {CaseStatus.closed},
    CaseStatus.ready: {CaseStatus.closed},
    CaseStatus.listed: {CaseStatus.discussed},
    CaseStatus.discussed: {CaseStatus.decided, CaseStatus.ready},
    CaseStatus.decided: {CaseStatus.follow_up, CaseStatus.closed},
    CaseStatus.follow_up: {CaseStatus.ready, CaseStatus.closed},
    CaseStatus.closed: {CaseStatus.referred},
}

PROFORMA_FIELDS = (
    "referring_clinician",
    "referring_email",
    "question",
    "clinical_summary",
    "diagnosis",
    "diagnosis_text",
    "side",
    "growth_pattern",
    "patient_wishes",
    "symptoms",
    "priority",
    "required_specialties",
)


_ENUM_FIELDS = {"side": Side, "growth_pattern": GrowthPattern, "priority": Priority}


def _proforma(fields: dict[str, Any]) -> dict[str, Any]:
    """The proforma fields from a dict, with enum fields as enums (forms hand in their values)."""
    result = {}
    for key, value in fields.items():
        if key in PROFORMA_FIELDS:
            enum_cls = _ENUM_FIELDS.get(key)
            result[key] = enum_cls(value) if enum_cls is not None and value is not None else value
    return result


def _filled(case: Case, name: str) -> bool:
    if name == "measurement":
        return bool(case.measurements)
    if name == "growth_pattern":
        return case.growth_pattern is not GrowthPattern.unknown
    if name == "diagnosis":
        return bool(case.diagnosis) and (case.diagnosis != "other" or bool(case.diagnosis_text))
    value = getattr(case, name)
    return value is not None and (not isinstance(value, str) or value.strip() != "")


def missing_fields(case: Case) -> list[str]:
    """Labels of the required proforma fields that are still empty."""
    required = current_app.config["CASE_REQUIRED_FIELDS"]
    return [str(REQUIRABLE_FIELDS[name]) for name in required if not _filled(case, name)]


def _move(case: Case, to: CaseStatus, actor: User | None, note: str | None = None) -> None:
    if case.status is to:
        return
    case.events.append(
        CaseEvent(from_status=case.status, to_status=to, actor_id=actor.id if actor else None, note=note, at=utcnow())
    )
    case.status = to


def update_readiness(case: Case, actor: User | None) -> None:
    """A referred case becomes ready when its required fields are filled, and goes back if they are emptied."""
    complete = not missing_fields(case)
    if case.status is CaseStatus.referred and complete:
        _move(case, CaseStatus.ready, actor)
    elif case.status is CaseStatus.ready and not complete:
        _move(case, CaseStatus.referred, actor, note=NOTE_MISSING_INFORMATION)


def change_status(case: Case, to: CaseStatus, actor: User, note: str | None = None) -> None:
    """A manual step in the workflow, checked against TRANSITIONS."""
    if to not in TRANSITIONS.get(case.status, set()):
        raise CaseError(
            _("A case cannot go from %(from)s to %(to)s.", **{"from": case.status.label, "to": str(to.value)})
        )
    _move(case, to, actor, note)
    if to is CaseStatus.referred:
        update_readiness(case, actor)
    audit.record(actor, "case.status", "case", case.id, patient_id=case.patient_id, detail={"to": to.value})


def set_outcome_status(case: Case, to: CaseStatus, actor: User | None, note: str | None = None) -> None:
    """For the meeting module: discussed, decided, follow-up (no manual-transition check)."""
    _move(case, to, actor, note)


def return_to_ready_queue(case: Case, actor: User | None, *, reason: str) -> None:
    """A decided case goes back to the ready queue, to be listed again, with the reason in its history (the
    patient declined the proposal: each decision is individual and starts from the patient's wishes)."""
    reason = (reason or "").strip()
    if not reason:
        raise CaseError(_("Say why the case goes back to the queue."), "reason")
    if case.status not in (CaseStatus.discussed, CaseStatus.decided, CaseStatus.follow_up):
        raise CaseError(_("Only a decided case goes back to the ready queue."))
    _move(case, CaseStatus.ready, actor, note=reason)
    audit.record(actor, "case.back_to_queue", "case", case.id, patient_id=case.patient_id)


class MissingPatientDetails(CaseError):
    """A new patient needs these fields (form field names)."""

    def __init__(self, fields: list[str]):
        super().__init__(_("Needed for a new patient."))
        self.fields = fields


def patient_for_referral(
    identity,
    *,
    given_name: str | None,
    family_name: str | None,
    sex: str | None,
    actor: User | None,
    date_of_birth: date | None = None,
) -> Patient:
    """The patient with this identity number, or a new one registered from the referral's details."""
    from conference.patients import services as patients

    patient = patients.find_by_identity(identity)
    if patient is not None:
        return patient
    missing = [
        name for name, value in (("given_name", given_name), ("family_name", family_name), ("sex", sex)) if not value
    ]
    if missing:
        raise MissingPatientDetails(missing)
    return patients.create_patient(
        identity=identity,
        given_name=given_name,
        family_name=family_name,
        sex=sex,
        actor=actor,
        date_of_birth=date_of_birth,
    )


# --- referral and editing ---------------------------------------------------------------------------------


@dataclass
class MeasurementInput:
    measured_on: date
    method: str
    lld_mm: float
    femur_mm: float | None = None
    tibia_mm: float | None = None
    foot_mm: float | None = None
    long_leg_mm: float | None = None
    short_leg_mm: float | None = None
    bone_age_years: float | None = None
    bone_age_method: str | None = None
    femur_length_mm: float | None = None
    tibia_length_mm: float | None = None
    mad_mm: float | None = None
    mldfa_deg: float | None = None
    mpta_deg: float | None = None
    notes: str | None = None


def _check_measurement(patient: Patient, data: MeasurementInput) -> None:
    for field, message in plausibility.problems(vars(data)):
        raise CaseError(message, field)
    if data.measured_on > local_today():
        raise CaseError(_("The measurement date is in the future."), "measured_on")
    if data.measured_on < patient.date_of_birth:
        raise CaseError(_("The measurement date is before the patient was born."), "measured_on")


def _measurement_fields(data: MeasurementInput) -> dict[str, Any]:
    fields = vars(data).copy()
    fields["method"] = MeasurementMethod(fields["method"])
    return fields


def add_measurement(case: Case, data: MeasurementInput, actor: User | None) -> Measurement:
    """Record a visit's measurements; the case may become ready. `actor` is None for a hospital system's
    referral (the API audits which system)."""
    _check_measurement(case.patient, data)
    measurement = Measurement(recorded_by_id=actor.id if actor else None, **_measurement_fields(data))
    case.measurements.append(measurement)
    case.measurements.sort(key=lambda m: m.measured_on)
    db.session.flush()
    update_readiness(case, actor)
    audit.record(actor, "case.measurement", "case", case.id, patient_id=case.patient_id)
    return measurement


def refer_case(
    *, patient: Patient, actor: User | None, fields: dict[str, Any], measurement: MeasurementInput | None = None
) -> Case:
    """Create a referral. It is saved whatever is missing; it is "ready" once the required fields are there.
    `actor` is None when a hospital system sent it (conference.fhir audits which one)."""
    actor_id = actor.id if actor else None
    case = Case(
        patient=patient, referred_by_id=actor_id, status=CaseStatus.referred, referred_at=utcnow(), **_proforma(fields)
    )
    case.events.append(CaseEvent(from_status=None, to_status=CaseStatus.referred, actor_id=actor_id, at=utcnow()))
    db.session.add(case)
    db.session.flush()
    if measurement is not None:
        _check_measurement(patient, measurement)
        case.measurements.append(Measurement(recorded_by_id=actor_id, **_measurement_fields(measurement)))
        db.session.flush()
    update_readiness(case, actor)
    audit.record(actor, "case.refer", "case", case.id, patient_id=patient.id)
    return case


def update_case(case: Case, *, expected_version: int, fields: dict[str, Any], actor: User) -> Case:
    """Save proforma changes. Raises ConcurrentEdit when someone saved the case since the form was loaded."""
    check_version(case, expected_version)
    for key, value in _proforma(fields).items():
        setattr(case, key, value)
    update_readiness(case, actor)
    db.session.flush()  # the version check in SQL catches a save that raced past the check above
    audit.record(actor, "case.update", "case", case.id, patient_id=case.patient_id)
    return case


def add_note(case: Case, author: User, text: str, agenda_item: AgendaItem | None = None) -> PreConferenceNote:
    """A specialist's pre-conference note, labelled with their specialty."""
    text = (text or "").strip()
    if not text:
        raise CaseError(_("Write the note first."), "text")
    if agenda_item is None:
        agenda_item = current_agenda_item(case)
    note = PreConferenceNote(
        case=case,
        author_id=author.id,
        specialty=author.specialty,
        text=text,
        agenda_item_id=agenda_item.id if agenda_item else None,
        created_at=utcnow(),
    )
    db.session.add(note)
    db.session.flush()
    audit.record(author, "case.note", "case", case.id, patient_id=case.patient_id)
    return note


# --- reading ----------------------------------------------------------------------------------------------


def load_case(case_id: int) -> Case | None:
    """A case with everything its summary shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(
            joinedload(Case.patient),
            joinedload(Case.referred_by),
            selectinload(Case.measurements),
            selectinload(Case.events).joinedload(CaseEvent.actor),
            selectinload(Case.notes).joinedload(PreConferenceNote.author),
            selectinload(Case.agenda_items).joinedload(AgendaItem.conference),
        )
    )


def view_case(case_id: int, actor: User) -> Case | None:
    """Load a case for reading and record the access (one audit event per view)."""
    case = load_case(case_id)
    if case is not None:
        audit.case_shown(actor, case)
    return case


def predict(case: Case) -> paley.Prediction:
    """The Paley prediction, bands and epiphysiodesis timing from the case's measurements and the unit's settings."""
    visits = [
        paley.Visit(
            m.measured_on,
            m.lld_mm,
            long_leg_mm=m.long_leg_mm,
            short_leg_mm=m.short_leg_mm,
            bone_age_years=m.bone_age_years,
            bone_age_method=m.bone_age_method,
            femur_length_mm=m.femur_length_mm,
            tibia_length_mm=m.tibia_length_mm,
        )
        for m in case.measurements
    ]
    if case.growth_pattern is GrowthPattern.congenital and case.diagnosis in ACQUIRED_DIAGNOSES:
        # Paley's congenital form assumes the discrepancy grows in proportion from birth: not after an injury.
        refused = paley.Prediction(method="none", sex=case.patient.sex.value)
        refused.notes.append(
            str(_l("The diagnosis is acquired, so the congenital method does not apply: set the growth pattern."))
        )
        return refused
    return paley.predict(
        pattern=case.growth_pattern.value,
        sex=case.patient.sex.value,
        birth=case.patient.date_of_birth,
        visits=visits,
        settings=paley.Settings.from_config(current_app.config),
    )


def chart_points(case: Case) -> list[tuple[float, float]]:
    """(age, LLD) per measurement, on the same age scale the prediction uses: the bone age where one was recorded."""
    birth = case.patient.date_of_birth
    return [
        (m.bone_age_years if m.bone_age_years is not None else (m.measured_on - birth).days / 365.25, m.lld_mm)
        for m in case.measurements
    ]


def current_agenda_item(case: Case) -> AgendaItem | None:
    pending = [i for i in case.agenda_items if i.outcome is AgendaOutcome.pending]
    return pending[-1] if pending else None


def patient_cases(patient_id: int) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.patient_id == patient_id).order_by(Case.referred_at.desc())))


def search(*, text: str | None, status: CaseStatus | None, actor: User, limit: int = 100) -> list[Case]:
    """Find cases by identity number, patient name or status; the search is audited (not its hits' contents)."""
    query = select(Case).join(Case.patient).options(joinedload(Case.patient)).order_by(Case.referred_at.desc())
    text = (text or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 6:
        query = query.where(Patient.national_id.contains(digits[-10:] if len(digits) >= 10 else digits))
    for word in (w for w in text.split() if not any(ch.isdigit() for ch in w)):
        # autoescape: a typed % or _ is a character of a name, not a LIKE wildcard
        query = query.where(
            or_(
                Patient.given_name.icontains(word, autoescape=True),
                Patient.family_name.icontains(word, autoescape=True),
            )
        )
    if status is not None:
        query = query.where(Case.status == status)
    results = list(db.session.scalars(query.limit(limit)))
    audit.record_shown(actor, "case.search", "case", [(c.id, c.patient_id) for c in results])
    return results


def counts_by_status(statuses=(CaseStatus.referred, CaseStatus.ready, CaseStatus.listed)) -> dict[CaseStatus, int]:
    """How many cases are in each of these statuses (the open ones by default: counting the closed ones would read
    most of the table, and grow with the years)."""
    rows = db.session.execute(
        select(Case.status, func.count(Case.id)).where(Case.status.in_(statuses)).group_by(Case.status)
    )
    found = dict(rows.all())
    return {status: found.get(status, 0) for status in CaseStatus}


QUEUE_PAGE = 50


def ready_queue(limit: int = QUEUE_PAGE) -> list[tuple[listing.ListedCase, int]]:
    """Ready cases waiting for a conference, most urgent and longest waiting first, with days since referral, as
    the lists show them (rows, not objects: cases.listing)."""
    return listing.ready_queue(limit, utcnow())


def active_cases(identity) -> list[Case]:
    """The open cases (not closed) of the patient with this identity number, if the patient exists: a new
    referral for them is more often a duplicate than a second question."""
    from conference.patients import services as patients

    patient = patients.find_by_identity(identity)
    if patient is None:
        return []
    return list(
        db.session.scalars(
            select(Case).where(Case.patient_id == patient.id, Case.status != CaseStatus.closed).order_by(Case.id)
        )
    )


def cases_by_id(ids: list[int]) -> list[Case]:
    """The cases with these ids, in the order given (unknown ids are left out)."""
    found = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


def ready_count() -> int:
    return db.session.scalar(select(func.count(Case.id)).where(Case.status == CaseStatus.ready)) or 0


# --- the case list (agenda) -------------------------------------------------------------------------------


@dataclass
class AgendaView:
    conference: Conference
    items: list[AgendaItem]
    capacity_used: int
    deadline: datetime
    deadline_passed: bool
    minutes_total: int
    note_counts: dict[int, int]


def agenda(conference: Conference, *, measurements: Literal["none", "newest", "all"] = "newest") -> AgendaView:
    """The case list with everything the page shows, in a fixed number of queries. Of the measurements, what the
    page shows: each case's newest (the lists' latest LLD), all of them (the minutes' growth predictions) or none
    (the printed list)."""
    options = [joinedload(AgendaItem.case).joinedload(Case.patient)]
    if measurements != "none":
        loaded = Case.measurements if measurements == "all" else Case.newest_measurement
        options.append(joinedload(AgendaItem.case).selectinload(loaded))
    items = list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.conference_id == conference.id)
            .order_by(AgendaItem.position)
            .options(*options)
        ).unique()
    )
    # The list shows how many notes each case has: counted in SQL, not loaded (presentation mode loads the
    # notes of the one case it shows).
    counts = listing.note_counts([item.case_id for item in items])
    return AgendaView(
        conference=conference,
        items=items,
        capacity_used=len(items),
        deadline=conference.case_deadline,
        deadline_passed=utcnow() > conference.case_deadline,
        minutes_total=sum(i.minutes_allotted for i in items),
        note_counts=counts,
    )


def list_case(
    conference: Conference, case: Case, actor: User, *, minutes: int = 5, override_reason: str | None = None
) -> AgendaItem:
    """Put a ready case on a conference's case list. After the deadline or over capacity this is refused unless
    an override reason is given; the reason is kept on the item and in the audit log."""
    if case.status is not CaseStatus.ready and conference.case_list_open:
        if case.status is CaseStatus.referred:
            raise CaseError(_("The case is not ready: %(missing)s.", missing=", ".join(missing_fields(case))))
        raise CaseError(_("Only a ready case can be listed (this one is %(status)s).", status=case.status.label))
    item, override = case_list.add(conference, case, actor, minutes=minutes, override_reason=override_reason)
    _move(case, CaseStatus.listed, actor)
    db.session.flush()
    audit.record(
        actor,
        "case.list",
        "case",
        case.id,
        patient_id=case.patient_id,
        detail={"conference": conference.id, "override": override},
    )
    return item


def list_cases(
    conference: Conference, chosen: list[Case], actor: User, *, override_reason: str | None = None
) -> list[AgendaItem]:
    """List several ready cases at once, in the order given. One rule for all: if any of them would break the
    deadline or the capacity, none is listed without an override reason (the caller rolls back)."""
    if not chosen:
        raise CaseError(_("Choose the cases to list."), "case_ids")
    return [list_case(conference, each, actor, override_reason=override_reason) for each in chosen]


def missing_specialties(conference: Conference, items: list[AgendaItem]) -> list[Specialty]:
    """The specialties the listed cases require that nobody invited has, in the Specialty list's order."""
    required = {name for item in items for name in (item.case.required_specialties or [])}
    invited = {i.user.specialty.value for i in conference.invitations if i.user.specialty is not None}
    return [s for s in Specialty if s.value in required - invited]


def relist_for_review(case: Case, conference: Conference, actor: User, *, reason: str) -> AgendaItem:
    """Put a case that was decided back on a conference's list (e.g. a rehabilitation flag): it becomes ready
    again with the reason in its history, and is listed with the reason as the override (deadline, capacity)."""
    already = case_list.pending_item(case, conference.id)
    if already is not None:
        return already
    if case.status is not CaseStatus.ready:
        _move(case, CaseStatus.ready, actor, note=reason)
    return list_case(conference, case, actor, override_reason=reason)


def unlist(item: AgendaItem, actor: User, expected_version: int | None = None) -> None:
    """Take a case off the list (before it is discussed); it goes back to the ready queue. Notes written while it
    was listed stay with the case."""
    case = item.case
    conference_id = item.conference_id
    for note in case.notes:
        if note.agenda_item_id == item.id:
            note.agenda_item_id = None
    case_list.remove(item, expected_version)
    _move(case, CaseStatus.ready, actor)
    db.session.flush()
    audit.record(
        actor, "case.unlist", "case", case.id, patient_id=case.patient_id, detail={"conference": conference_id}
    )


def move_undiscussed(conference: Conference, actor: User) -> tuple[Conference | None, int]:
    """The coordinator's button: before the meeting is signed (signing rolls the list over by itself), the cases
    not discussed go to the next meeting of the series, or back to the ready queue when there is none."""
    case_list.check_list_open(conference)
    target = conferences.next_conference_in_series(conference)
    return target, case_list.roll_over(conference, target, actor)


@case_back_to_queue.connect
def _back_to_queue(case: Case, *, actor: User | None, note: str) -> None:
    _move(case, CaseStatus.ready, actor, note=note)


def conferences_to_list_on(case: Case) -> list[Conference]:
    """The next scheduled conferences, for a case ready to be listed; none for a case in any other state."""
    return listable_conferences() if case.status is CaseStatus.ready else []


def listable_conferences() -> list[Conference]:
    return list(
        db.session.scalars(
            select(Conference)
            .where(Conference.status == ConferenceStatus.scheduled, Conference.starts_at > utcnow())
            .order_by(Conference.starts_at)
            .limit(12)
        )
    )


@deadline_reminder_counts.connect
def _ready_for_the_reminder(conference: Conference) -> dict[str, int]:
    return {"ready": ready_count()}
