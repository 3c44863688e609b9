"""The FHIR API's business rules: integration clients and their tokens, referral intake, and the queries behind
reads and searches (bounded, with a constant number of statements per page)."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from conference.audit import services as audit
from conference.cases import services as cases
from conference.cases.models import Case, Measurement
from conference.conferences.models import Conference
from conference.db import utcnow
from conference.extensions import db
from conference.fhir import codes
from conference.fhir.models import SCOPES, ApiClient, ReferralIdentifier
from conference.meetings.models import ActionItem, Attendance, Decision, MeetingRecord
from conference.minutes.models import Minutes, MinutesStatus
from conference.patients.identity import InvalidIdentityNumber, parse_identity_number
from conference.patients.models import Patient
from conference.patients.services import PatientError
from conference.people.models import User

TOKEN_PREFIX = "cfk_"


# --- integration clients ------------------------------------------------------------------------------------


class ClientError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_client(name: str, scopes: list[str], actor: User) -> tuple[ApiClient, str]:
    """A new client and its token. The token is returned once; only its SHA-256 is stored."""
    name = (name or "").strip()
    if not name:
        raise ClientError("Name the system that will use the token.", "name")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ClientError("Choose at least one scope.", "scopes")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name, token_sha256=_digest(token), token_hint=token[:10], scopes=list(scopes), created_by_id=actor.id
    )
    db.session.add(client)
    db.session.flush()
    audit.record(actor, "api_client.issue", "api_client", client.id, detail={"scopes": client.scopes})
    return client, token


def revoke_client(client: ApiClient, actor: User) -> None:
    """The token stops working at once; the client stays listed, with when it was revoked."""
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        audit.record(actor, "api_client.revoke", "api_client", client.id)


def client_for_token(authorization: str | None) -> ApiClient | None:
    """The active client whose token is in an `Authorization: Bearer ...` header."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer ") :].strip()
    if not token.startswith(TOKEN_PREFIX):
        return None
    client = db.session.scalar(select(ApiClient).where(ApiClient.token_sha256 == _digest(token)))
    if client is None or client.revoked_at is not None:
        return None
    return client


def clients() -> list[ApiClient]:
    return list(
        db.session.scalars(select(ApiClient).options(joinedload(ApiClient.created_by)).order_by(ApiClient.id.desc()))
    )


# --- referral intake ------------------------------------------------------------------------------------------


class IntakeError(ValueError):
    """The posted referral cannot be taken: each issue is (FHIR issue code, message, FHIRPath of the field)."""

    def __init__(self, issues: list[tuple[str, str, str | None]], status: int = 400):
        super().__init__("; ".join(text for _code, text, _where in issues))
        self.issues = issues
        self.status = status


def validation_issues(error: ValidationError, resource_type: str) -> list[tuple[str, str, str | None]]:
    issues = []
    for detail in error.errors():
        path = resource_type
        for part in detail["loc"]:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        issues.append(("invalid", detail["msg"], path))
    return issues


@dataclass
class Intake:
    case: Case
    created: bool


def _existing(system: str, value: str) -> Case | None:
    return db.session.scalar(
        select(Case)
        .join(ReferralIdentifier, ReferralIdentifier.case_id == Case.id)
        .where(ReferralIdentifier.system == system, ReferralIdentifier.value == value)
    )


def _reference_id(reference: str | None, resource_type: str) -> str | None:
    if reference and reference.startswith(resource_type + "/"):
        return reference.split("/", 1)[1]
    return None


def _parts(payload: dict) -> tuple[dict, dict | None, list[dict], str]:
    """(ServiceRequest, Patient or None, Observations, where the request sits) from a ServiceRequest or a
    transaction Bundle, validated by the FHIR models."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.servicerequest import ServiceRequest

    kind = payload.get("resourceType") if isinstance(payload, dict) else None
    if kind == "ServiceRequest":
        try:
            ServiceRequest.model_validate(payload)
        except ValidationError as error:
            raise IntakeError(validation_issues(error, "ServiceRequest")) from None
        contained = {f"#{r.get('id')}": r for r in payload.get("contained") or [] if r.get("resourceType") == "Patient"}
        subject = (payload.get("subject") or {}).get("reference")
        return payload, contained.get(subject), [], "ServiceRequest"
    if kind != "Bundle":
        raise IntakeError([("structure", "Post a ServiceRequest or a transaction Bundle.", "resourceType")])
    try:
        Bundle.model_validate(payload)
    except ValidationError as error:
        raise IntakeError(validation_issues(error, "Bundle")) from None
    if payload.get("type") != "transaction":
        raise IntakeError([("structure", "The Bundle must be a transaction.", "Bundle.type")])
    by_type: dict[str, list[tuple[int, dict, str | None]]] = {}
    for index, entry in enumerate(payload.get("entry") or []):
        resource = entry.get("resource") or {}
        by_type.setdefault(resource.get("resourceType"), []).append((index, resource, entry.get("fullUrl")))
    requests = by_type.get("ServiceRequest", [])
    if len(requests) != 1:
        raise IntakeError([("structure", "The Bundle must hold exactly one ServiceRequest.", "Bundle.entry")])
    index, request, _url = requests[0]
    subject = (request.get("subject") or {}).get("reference")
    patient = next((r for _i, r, url in by_type.get("Patient", []) if url and url == subject), None)
    if subject and subject.startswith("urn:") and patient is None:
        raise IntakeError(
            [
                (
                    "not-found",
                    "The subject refers to no Patient in the Bundle.",
                    f"Bundle.entry[{index}].resource.subject",
                )
            ]
        )
    observations = [r for _i, r, _u in by_type.get("Observation", [])]
    return request, patient, observations, f"Bundle.entry[{index}].resource"


def _identity(patient: dict) -> tuple[object, str]:
    systems = {codes.PERSONNUMMER: False, codes.SAMORDNINGSNUMMER: False, codes.RESERVE_NUMBER: True}
    for index, identifier in enumerate(patient.get("identifier") or []):
        system = identifier.get("system")
        if system in systems:
            try:
                return parse_identity_number(identifier.get("value") or "", allow_reserve=systems[system]), system
            except InvalidIdentityNumber as error:
                raise IntakeError([("value", str(error), f"Patient.identifier[{index}].value")]) from None
    raise IntakeError(
        [("required", "The patient needs a personnummer, samordningsnummer or reserve number.", "Patient.identifier")]
    )


def _patient(request: dict, patient: dict | None) -> Patient:
    if patient is None:
        patient_id = _reference_id((request.get("subject") or {}).get("reference"), "Patient")
        found = db.session.get(Patient, int(patient_id)) if patient_id and patient_id.isdigit() else None
        if found is None:
            raise IntakeError(
                [("not-found", "The subject must be a Patient in the Bundle or an existing Patient/id.", "subject")]
            )
        return found
    identity, _system = _identity(patient)
    name = (patient.get("name") or [{}])[0]
    gender = codes.GENDER_IN.get(patient.get("gender") or "")
    birth = patient.get("birthDate")
    try:
        return cases.patient_for_referral(
            identity,
            given_name=" ".join(name.get("given") or []) or None,
            family_name=name.get("family"),
            sex=gender,
            actor=None,
            date_of_birth=date.fromisoformat(birth) if birth else None,
        )
    except cases.MissingPatientDetails as error:
        where = {"given_name": "Patient.name.given", "family_name": "Patient.name.family", "sex": "Patient.gender"}
        raise IntakeError([("required", "Needed for a new patient.", where[f]) for f in error.fields]) from None
    except PatientError as error:
        raise IntakeError([("value", str(error), "Patient.identifier")]) from None


def _fields(request: dict, where: str) -> dict:
    from conference.cases.models import DIAGNOSES

    requester = (request.get("requester") or {}).get("display")
    if not requester:
        raise IntakeError([("required", "Name the referring clinician.", f"{where}.requester.display")])
    notes = [n.get("text") for n in request.get("note") or [] if n.get("text")]
    fields: dict = {
        "referring_clinician": requester[:200],
        "question": notes[0] if notes else None,
        "clinical_summary": "\n\n".join(notes[1:]) or None,
        "priority": codes.PRIORITY_IN.get(request.get("priority") or "routine", "routine"),
    }
    for reason in request.get("reasonCode") or []:
        code = next((c.get("code") for c in reason.get("coding") or [] if c.get("system") == codes.DIAGNOSIS), None)
        if code in DIAGNOSES:
            fields["diagnosis"] = code
            if code == "other":
                fields["diagnosis_text"] = (reason.get("text") or "")[:300] or None
        elif reason.get("text"):
            fields["diagnosis"], fields["diagnosis_text"] = "other", reason["text"][:300]
        break
    sides = {code: side for side, (code, _display) in codes.LATERALITY.items()}
    for site in request.get("bodySite") or []:
        for coding in site.get("coding") or []:
            if coding.get("system") == codes.SNOMED and coding.get("code") in sides:
                fields["side"] = sides[coding["code"]]
    return fields


def _measurements(observations: list[dict]) -> list[cases.MeasurementInput]:
    """Observations of one visit (same date and method) become one measurement."""
    from conference.cases.models import MeasurementMethod

    visits: OrderedDict[tuple[str, str], dict] = OrderedDict()
    for index, observation in enumerate(observations):
        where = f"Observation[{index}]"
        coding = next(
            (c for c in (observation.get("code") or {}).get("coding") or [] if c.get("system") == codes.MEASUREMENT),
            None,
        )
        if coding is None or coding.get("code") not in codes.MEASUREMENT_BY_CODE:
            known = ", ".join(sorted(codes.MEASUREMENT_BY_CODE))
            raise IntakeError([("code-invalid", f"Use a code of {codes.MEASUREMENT}: {known}.", f"{where}.code")])
        column, unit = codes.MEASUREMENT_BY_CODE[coding["code"]]
        quantity = observation.get("valueQuantity") or {}
        if quantity.get("value") is None or quantity.get("code") != unit or quantity.get("system") != codes.UCUM:
            raise IntakeError([("value", f"A value in UCUM '{unit}'.", f"{where}.valueQuantity")])
        when = (observation.get("effectiveDateTime") or "")[:10]
        try:
            date.fromisoformat(when)
        except ValueError:
            raise IntakeError([("required", "The date of the measurement.", f"{where}.effectiveDateTime")]) from None
        method = next(
            (
                c.get("code")
                for c in (observation.get("method") or {}).get("coding") or []
                if c.get("system") == codes.MEASUREMENT_METHOD
            ),
            None,
        )
        if method not in MeasurementMethod.__members__:
            methods = ", ".join(MeasurementMethod.__members__)
            raise IntakeError(
                [("code-invalid", f"Use a method of {codes.MEASUREMENT_METHOD}: {methods}.", f"{where}.method")]
            )
        visits.setdefault((when, method), {})[column] = float(quantity["value"])
    result = []
    for (when, method), values in visits.items():
        if "lld_mm" not in values:
            raise IntakeError(
                [("required", f"The visit of {when} has no leg-length discrepancy (code lld).", "Observation.code")]
            )
        result.append(cases.MeasurementInput(measured_on=date.fromisoformat(when), method=method, **values))
    return sorted(result, key=lambda m: m.measured_on)


def receive_referral(payload: dict, client: ApiClient) -> Intake:
    """Create (or find again) the referred case a hospital system posted, with its patient and measurements.
    Idempotent on ServiceRequest.identifier: the same identifier posted again returns the first case."""
    request, patient, observations, where = _parts(payload)
    identifiers = [i for i in request.get("identifier") or [] if i.get("system") and i.get("value")]
    if not identifiers:
        raise IntakeError(
            [
                (
                    "required",
                    "The referral needs an identifier (system and value) of the sending system.",
                    f"{where}.identifier",
                )
            ]
        )
    key = identifiers[0]
    existing = _existing(key["system"], key["value"])
    if existing is not None:
        return Intake(existing, created=False)
    fields = _fields(request, where)
    visits = _measurements(observations)
    person = _patient(request, patient)
    try:
        case = cases.refer_case(patient=person, actor=None, fields=fields, measurement=visits[0] if visits else None)
        for visit in visits[1:]:
            cases.add_measurement(case, visit, None)
    except cases.CaseError as error:
        raise IntakeError([("value", str(error), "Observation.effectiveDateTime")]) from None
    for identifier in identifiers:
        db.session.add(
            ReferralIdentifier(
                system=identifier["system"][:255], value=identifier["value"][:255], case_id=case.id, client_id=client.id
            )
        )
    db.session.flush()
    audit.record(None, "fhir.referral", "case", case.id, patient_id=person.id, detail={"client": client.id})
    return Intake(case, created=True)


def case_for_identifier(system: str, value: str) -> Case | None:
    return _existing(system, value)


# --- queries behind reads and searches -------------------------------------------------------------------------


@dataclass
class Page:
    rows: list
    total: int


def patient_ids_for_identifier(token: str) -> list[int]:
    """Patients with an identifier `system|value` or `value` (any identity-number spelling)."""
    system, _bar, value = token.rpartition("|")
    if system and system not in (codes.PERSONNUMMER, codes.SAMORDNINGSNUMMER, codes.RESERVE_NUMBER):
        return []
    try:
        identity = parse_identity_number(value, allow_reserve=True)
    except InvalidIdentityNumber:
        return []
    return list(db.session.scalars(select(Patient.id).where(Patient.national_id == identity.normalised)))


def _page(query, count: int, offset: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(count).offset(offset)).unique())
    return Page(rows, total or 0)


def patients(*, ids: list[int] | None, family: str | None, count: int, offset: int) -> Page:
    query = select(Patient).order_by(Patient.id)
    if ids is not None:
        query = query.where(Patient.id.in_(ids))
    if family:
        query = query.where(func.lower(Patient.family_name).startswith(family.lower(), autoescape=True))
    return _page(query, count, offset)


def service_requests(*, patient_ids: list[int] | None, case_ids: list[int] | None, count: int, offset: int) -> Page:
    query = select(Case).order_by(Case.id)
    if patient_ids is not None:
        query = query.where(Case.patient_id.in_(patient_ids))
    if case_ids is not None:
        query = query.where(Case.id.in_(case_ids))
    return _page(query, count, offset)


def referral_identifiers(case_ids: list[int]) -> dict[int, list[ReferralIdentifier]]:
    result: dict[int, list[ReferralIdentifier]] = {}
    if case_ids:
        for row in db.session.scalars(
            select(ReferralIdentifier).where(ReferralIdentifier.case_id.in_(case_ids)).order_by(ReferralIdentifier.id)
        ):
            result.setdefault(row.case_id, []).append(row)
    return result


def measurements_of(case_ids: list[int]) -> dict[int, list[Measurement]]:
    """Each case's measurement visits (for the referral's supportingInfo)."""
    result: dict[int, list[Measurement]] = {}
    if case_ids:
        for row in db.session.scalars(select(Measurement).where(Measurement.case_id.in_(case_ids))):
            result.setdefault(row.case_id, []).append(row)
    return result


def measurements(*, patient_ids: list[int] | None, count: int, offset: int) -> Page:
    """Measurement visits (each gives one Observation per value), with the patient of their case."""
    query = select(Measurement).options(joinedload(Measurement.case)).order_by(Measurement.measured_on, Measurement.id)
    if patient_ids is not None:
        query = query.join(Case, Case.id == Measurement.case_id).where(Case.patient_id.in_(patient_ids))
    return _page(query, count, offset)


def measurement(measurement_id: int) -> Measurement | None:
    return db.session.scalar(
        select(Measurement).options(joinedload(Measurement.case)).where(Measurement.id == measurement_id)
    )


def decisions(*, patient_ids: list[int] | None, ids: list[int] | None, count: int, offset: int) -> Page:
    query = (
        select(Decision)
        .options(joinedload(Decision.case), joinedload(Decision.conference), selectinload(Decision.rehab_plan))
        .order_by(Decision.id)
    )
    if patient_ids is not None:
        query = query.join(Case, Case.id == Decision.case_id).where(Case.patient_id.in_(patient_ids))
    if ids is not None:
        query = query.where(Decision.id.in_(ids))
    return _page(query, count, offset)


def locked_conferences(conference_ids: set[int]) -> set[int]:
    if not conference_ids:
        return set()
    return set(
        db.session.scalars(
            select(MeetingRecord.conference_id).where(
                MeetingRecord.conference_id.in_(conference_ids), MeetingRecord.locked.is_(True)
            )
        )
    )


def actions(*, patient_ids: list[int] | None, ids: list[int] | None, count: int, offset: int) -> Page:
    query = (
        select(ActionItem)
        .options(joinedload(ActionItem.owner), joinedload(ActionItem.decision).joinedload(Decision.case))
        .order_by(ActionItem.id)
    )
    if patient_ids is not None:
        query = (
            query.join(Decision, Decision.id == ActionItem.decision_id)
            .join(Case, Case.id == Decision.case_id)
            .where(Case.patient_id.in_(patient_ids))
        )
    if ids is not None:
        query = query.where(ActionItem.id.in_(ids))
    return _page(query, count, offset)


def conferences(*, ids: list[int] | None, count: int, offset: int) -> Page:
    query = select(Conference).options(joinedload(Conference.chair)).order_by(Conference.starts_at, Conference.id)
    if ids is not None:
        query = query.where(Conference.id.in_(ids))
    return _page(query, count, offset)


def attendance(conference_ids: list[int]) -> dict[int, list[Attendance]]:
    result: dict[int, list[Attendance]] = {}
    if conference_ids:
        for row in db.session.scalars(
            select(Attendance).options(joinedload(Attendance.user)).where(Attendance.conference_id.in_(conference_ids))
        ):
            result.setdefault(row.conference_id, []).append(row)
    return result


def signed_minutes(*, ids: list[int] | None, count: int, offset: int) -> Page:
    query = (
        select(Minutes)
        .options(joinedload(Minutes.signed_by), joinedload(Minutes.stored_document))
        .where(Minutes.status == MinutesStatus.signed, Minutes.document_id.is_not(None))
        .order_by(Minutes.id)
    )
    if ids is not None:
        query = query.where(Minutes.id.in_(ids))
    return _page(query, count, offset)
