"""Patients: find, create, update and read, each access audited."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import NamedTuple
from urllib.parse import unquote

from flask_babel import gettext as _
from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import aliased

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


class Found(NamedTuple):
    """What a search shows (at most its limit) and whether more patients match than it shows."""

    patients: list[Patient]
    more: bool


def search(text: str, actor: User, limit: int = 50) -> Found:
    """Find patients by identity number (whole: exact; the first digits: a range, in number order) or by the
    beginnings of their names' words (every word typed must match; the closest words first: "johan" before
    "johanna" before "johansson"). Each is read off an index in the order shown and stops after `limit` + 1, so a
    search costs what it shows, not how many patients match. The search itself is audited."""
    text = (text or "").strip()
    if not text:
        return Found([], False)
    digits = "".join(ch for ch in text if ch.isdigit())
    try:
        identity = parse_identity_number(text, allow_reserve=True) if len(digits) >= 10 else None
    except InvalidIdentityNumber:
        identity = None
    if identity is not None:
        results = list(db.session.scalars(select(Patient).where(Patient.national_id == identity.normalised)))
    elif len(digits) >= 6 and len(digits) == len(text.replace("-", "").replace(" ", "")):
        # the first digits: a birth date with the century (YYYYMMDD...) or without (YYMMDD...)
        prefixes = {"19" + digits, "20" + digits}
        if digits[:2] in ("18", "19", "20"):
            prefixes.add(digits)
        query = select(Patient).where(or_(*(_starting_with(Patient.national_id, prefix) for prefix in prefixes)))
        results = list(db.session.scalars(query.order_by(Patient.national_id).limit(limit + 1)))
    else:
        words = name_terms(text)
        if not words:
            return Found([], False)
        results = _matching_names(words, limit + 1)
    shown = results[:limit]
    audit.record_shown(actor, "patient.search", "patient", [(p.id, p.id) for p in shown])
    return Found(shown, len(results) > limit)


def _matching_names(words: set[str], wanted: int) -> list[Patient]:
    """The first `wanted` patients with a word beginning with each typed word, in the order of the matching word.
    Driven by the longest typed word (the fewest names begin with it), read off the (term, patient) index in order
    with each patient joined by its key (one round trip, which PostgreSQL counts), a page at a time: a patient with
    two matching words comes twice and counts once."""
    first, *others = sorted(words, key=lambda w: (-len(w), w))
    term = PatientNameTerm
    query = (
        select(term.term, term.patient_id, Patient)
        .join(Patient, Patient.id == term.patient_id)
        .where(_starting_with(term.term, first))
    )
    for word in others:
        other = aliased(PatientNameTerm)
        # EXISTS per row read, not IN: the planners then keep reading the first word's range in order
        query = query.where(
            select(other.id).where(other.patient_id == term.patient_id, _starting_with(other.term, word)).exists()
        )
    query = query.order_by(term.term, term.patient_id)
    found: dict[int, Patient] = {}
    after = None
    while len(found) < wanted:
        page = (
            query
            if after is None
            else query.where(or_(term.term > after[0], and_(term.term == after[0], term.patient_id > after[1])))
        )
        rows = db.session.execute(page.limit(wanted * 2)).all()
        for _term, patient_id, patient in rows:
            found.setdefault(patient_id, patient)
        if len(rows) < wanted * 2:
            break
        after = rows[-1][:2]
    return list(found.values())[:wanted]


_WORD_BREAKS = re.compile(r"[\W_]+")
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "ı": "i"})


def _fold(text: str) -> list[str]:
    text = text.casefold()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_UNDECOMPOSABLE)
    return [w for w in _WORD_BREAKS.split(text) if w]


def folded_words(text: str | None) -> list[str]:
    """The words of a text as a name may hide in it: percent-encoding decoded (a link), case and diacritics folded
    ("Åsa" and "asa", "Öberg" and "oberg"), split at anything that is not a letter or a digit (spaces, commas,
    hyphens, underscores, dots, slashes). In order, so that neighbours can be told."""
    return _fold(unquote(unquote(text or "")))


def _names_in(words: list[str], given: list[str], family: list[str]) -> bool:
    """The family name (all its words, in order) with a given name anywhere in the text or a given name's initial
    right before or after it: "Elsa Johansson", "Johansson, Elsa", "MDT Johansson E.", ".../elsa-johansson"."""
    if not given or not family:
        return False
    n = len(family)
    for i in range(len(words) - n + 1):
        if words[i : i + n] != family:
            continue
        if any(g in words for g in given):
            return True
        neighbours = {words[j] for j in (i - 1, i + n) if 0 <= j < len(words)}
        if neighbours & {g[0] for g in given}:
            return True
    return False


def identifies_a_patient(text: str | None) -> bool:
    """Whether free text that is about to leave the record (a calendar invite, an email, a video link) identifies
    a patient: an identity number in any common writing, or a registered patient's family name with a given name or
    its initial, in any order and punctuation, as a link's slug too (see folded_words).

    Compared in Python with every patient's names: one read of two columns per check (a booking or a move, not a
    page view; the LIKE it replaces read every row too, as a pattern built from a column cannot use an index),
    about 0.3 s at 100,000 patients. A folded spelling cannot be looked up in an index portably, and no LIKE
    pattern is built from a name, so a patient called "%" or "_" matches nothing but itself."""
    from conference.patients.identity import contains_identity_number

    if not text or not text.strip():
        return False
    if contains_identity_number(text) or contains_identity_number(unquote(text)):
        return True
    words = folded_words(text)
    if not words:
        return False
    present = set(words)
    for given_name, family_name in db.session.execute(select(Patient.given_name, Patient.family_name)):
        family = _fold(family_name)
        if family and family[-1] in present and _names_in(words, _fold(given_name), family):
            return True
    return False
