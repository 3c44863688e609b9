"""Patients: find, create, update and read, each access audited."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from conference.audit import services as audit
from conference.extensions import db
from conference.patients.identity import IdentityNumber, parse_identity_number
from conference.patients.models import Patient, Sex
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
    audit.record(actor, "patient.create", "patient", patient.id, patient_id=patient.id)
    return patient


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
    audit.record(actor, "patient.update", "patient", patient.id, patient_id=patient.id)
    return patient


def view_patient(patient_id: int, actor: User) -> Patient | None:
    """Load a patient for display and record the access."""
    patient = db.session.get(Patient, patient_id)
    if patient is not None:
        audit.record(actor, "patient.view", "patient", patient.id, patient_id=patient.id)
    return patient


def search(text: str, actor: User, limit: int = 50) -> list[Patient]:
    """Find patients by identity number (any accepted format) or name; the search itself is audited."""
    text = (text or "").strip()
    if not text:
        return []
    conditions = []
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 6:
        conditions.append(Patient.national_id.contains(digits[-10:] if len(digits) >= 10 else digits))
    for word in text.split():
        like = f"%{word}%"
        conditions.append(or_(Patient.given_name.ilike(like), Patient.family_name.ilike(like)))
    results = list(
        db.session.scalars(select(Patient).where(or_(*conditions)).order_by(Patient.family_name).limit(limit))
    )
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
