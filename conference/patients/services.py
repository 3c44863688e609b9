"""Patients: find, create, update and read, each access audited."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, delete, insert, or_, select

from conference.audit import services as audit
from conference.db import utcnow
from conference.extensions import db
from conference.patients.identity import IdentityNumber, InvalidIdentityNumber, parse_identity_number
from conference.patients.models import LETTER_LANGUAGES, Guardian, Patient, PatientNameTerm, Sex, name_terms
from conference.people.models import User


class PatientError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ConcurrentEdit(RuntimeError):
    """Someone saved the record after this editor opened it."""


def find_by_identity(identity: IdentityNumber | str) -> Patient | None:
    if isinstance(identity, str):
        identity = parse_identity_number(identity, allow_reserve=True)
    return db.session.scalar(select(Patient).where(Patient.national_id == identity.normalised))


def create_patient(
    *,
    identity: IdentityNumber,
    given_name: str,
    family_name: str,
    sex: Sex | str,
    actor: User | None,
    date_of_birth: date | None = None,
) -> Patient:
    """Register a patient. The identity number is unique; the date of birth comes from it unless it is a reserve number."""
    if find_by_identity(identity) is not None:
        raise PatientError(_("A patient with this identity number already exists."), "national_id")
    birth = identity.birth_date or date_of_birth
    if birth is None:
        raise PatientError(_("A reserve number needs the date of birth."), "national_id")
    patient = Patient(
        national_id=identity.normalised,
        id_kind=identity.kind,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        sex=Sex(sex),
        date_of_birth=birth,
    )
    db.session.add(patient)
    db.session.flush()
    _index_names(patient)
    audit.record(actor, "patient.create", "patient", patient.id, patient_id=patient.id)
    return patient


def _index_names(patient: Patient) -> None:
    """Keep the search index of the patient's names in step with the names (same transaction)."""
    db.session.execute(delete(PatientNameTerm).where(PatientNameTerm.patient_id == patient.id))
    terms = name_terms(patient.given_name, patient.family_name)
    if terms:
        db.session.execute(insert(PatientNameTerm), [{"patient_id": patient.id, "term": t} for t in sorted(terms)])


def update_patient(
    patient: Patient,
    *,
    expected_version: int,
    identity: IdentityNumber,
    given_name: str,
    family_name: str,
    sex: Sex | str,
    actor: User,
) -> Patient:
    if patient.version != expected_version:
        raise ConcurrentEdit()
    other = find_by_identity(identity)
    if other is not None and other.id != patient.id:
        raise PatientError(_("A patient with this identity number already exists."), "national_id")
    patient.national_id = identity.normalised
    patient.id_kind = identity.kind
    if identity.birth_date:
        patient.date_of_birth = identity.birth_date
    patient.given_name = given_name.strip()
    patient.family_name = family_name.strip()
    patient.sex = Sex(sex)
    db.session.flush()
    _index_names(patient)
    audit.record(actor, "patient.update", "patient", patient.id, patient_id=patient.id)
    return patient


def update_contact(
    patient: Patient,
    *,
    expected_version: int,
    language: str,
    address: str | None,
    guardians: list[tuple[str, str | None]],
    actor: User,
) -> Patient:
    """Where and in which language letters reach the patient: the patient's own address and, for a child, the
    guardians' names and addresses (the list replaces the recorded one; empty names are dropped)."""
    if patient.version != expected_version:
        raise ConcurrentEdit()
    if language not in LETTER_LANGUAGES:
        raise PatientError(_("Choose Swedish or English."), "language")
    patient.language = language
    patient.address = (address or "").strip() or None
    patient.guardians.clear()
    db.session.flush()
    for position, (name, guardian_address) in enumerate((n.strip(), a) for n, a in guardians if (n or "").strip()):
        patient.guardians.append(
            Guardian(name=name, address=(guardian_address or "").strip() or None, position=position)
        )
    patient.updated_at = utcnow()  # the version moves with the guardians too
    db.session.flush()
    audit.record(actor, "patient.contact", "patient", patient.id, patient_id=patient.id)
    return patient


def view_patient(patient_id: int, actor: User) -> Patient | None:
    """Load a patient for display and record the access."""
    patient = db.session.get(Patient, patient_id)
    if patient is not None:
        audit.record(actor, "patient.view", "patient", patient.id, patient_id=patient.id)
    return patient


def _starting_with(column, prefix: str):
    """`column` starts with `prefix`, as a range an index serves (byte-wise ordering: SQLite's default, the "C"
    collation on PostgreSQL)."""
    return and_(column >= prefix, column < prefix + "\U0010ffff")


def search(text: str, actor: User, limit: int = 50) -> list[Patient]:
    """Find patients by identity number (whole: exact; the first digits: a range) or by the beginnings of their
    names' words (every word typed must match); served by indexes at any size. The search itself is audited."""
    text = (text or "").strip()
    if not text:
        return []
    query = select(Patient)
    digits = "".join(ch for ch in text if ch.isdigit())
    try:
        identity = parse_identity_number(text, allow_reserve=True) if len(digits) >= 10 else None
    except InvalidIdentityNumber:
        identity = None
    if identity is not None:
        query = query.where(Patient.national_id == identity.normalised)
    elif len(digits) >= 6 and len(digits) == len(text.replace("-", "").replace(" ", "")):
        # the first digits: a birth date with the century (YYYYMMDD...) or without (YYMMDD...)
        prefixes = {"19" + digits, "20" + digits}
        if digits[:2] in ("18", "19", "20"):
            prefixes.add(digits)
        query = query.where(or_(*(_starting_with(Patient.national_id, prefix) for prefix in prefixes)))
    else:
        words = name_terms(text)
        if not words:
            return []
        for word in words:
            query = query.where(
                Patient.id.in_(select(PatientNameTerm.patient_id).where(_starting_with(PatientNameTerm.term, word)))
            )
    results = list(db.session.scalars(query.order_by(Patient.family_name, Patient.id).limit(limit)))
    audit.record_shown(actor, "patient.search", "patient", [(p.id, p.id) for p in results])
    return results


def identifies_a_patient(text: str | None) -> bool:
    """Whether free text that is about to leave the record (a calendar invite, an email) identifies a patient: an
    identity number in any common writing, or a registered patient's full name."""
    from sqlalchemy import func, literal

    from conference.patients.identity import contains_identity_number

    if not text or not text.strip():
        return False
    if contains_identity_number(text):
        return True
    needle = " ".join(text.lower().split())
    full_name = func.lower(Patient.given_name + literal(" ") + Patient.family_name)
    return db.session.scalar(select(Patient.id).where(literal(needle).contains(full_name)).limit(1)) is not None
