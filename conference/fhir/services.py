"""The FHIR API's business rules: integration clients and their tokens, referral intake, and the queries behind
reads and searches (bounded, with a constant number of statements per page)."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy import case as sql_case
from sqlalchemy import func, literal, select
from sqlalchemy.orm import joinedload, selectinload

from conference.audit import services as audit
from conference.cases import plausibility
from conference.cases import services as cases
from conference.cases.models import Case, Measurement
from conference.conferences.models import Conference
from conference.db import local_today, utcnow
from conference.extensions import db
from conference.fhir import codes
from conference.fhir.models import SCOPES, ApiClient, ReferralIdentifier
from conference.imaging.models import CaseImage, ImageFormat
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


def issue_client(name: str, scopes: list[str], actor: User, expires_on: date | None = None) -> tuple[ApiClient, str]:
    """A new client and its token. The token is returned once; only its SHA-256 is stored. With `expires_on`
    the token works to the end of that day in the unit's time zone and is refused after it."""
    name = (name or "").strip()
    if not name:
        raise ClientError("Name the system that will use the token.", "name")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ClientError("Choose at least one scope.", "scopes")
    expires_at = None
    if expires_on is not None:
        if expires_on < local_today():
            raise ClientError(_("Choose today or a later day."), "expires_on")
        zone = ZoneInfo(current_app.config["CONFERENCE_TIMEZONE"])
        expires_at = datetime.combine(expires_on + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        token_sha256=_digest(token),
        token_hint=token[:10],
        scopes=list(scopes),
        created_by_id=actor.id,
        expires_at=expires_at,
    )
    db.session.add(client)
    db.session.flush()
    detail = {"scopes": client.scopes, **({"expires_on": expires_on.isoformat()} if expires_on else {})}
    audit.record(actor, "api_client.issue", "api_client", client.id, detail=detail)
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
    if client is None or not client.usable_at(utcnow()):
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
    """The case, whether it is new, and per Bundle entry (in the Bundle's order) the resource it became and
    whether that was created now."""

    case: Case
    created: bool
    entries: list[tuple[str, bool]] = dataclass_field(default_factory=list)


def _existing(client: ApiClient, system: str, value: str) -> Case | None:
    """The case this client sent with this identifier before: identifiers are the sender's own, so another
    system quoting them (by mistake or on purpose) is never answered with this case."""
    return db.session.scalar(
        select(Case)
        .join(ReferralIdentifier, ReferralIdentifier.case_id == Case.id)
        .where(
            ReferralIdentifier.client_id == client.id,
            ReferralIdentifier.system == system,
            ReferralIdentifier.value == value,
        )
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
        kind = resource.get("resourceType")
        if kind not in ("Patient", "ServiceRequest", "Observation"):
            raise IntakeError(
                [
                    (
                        "not-supported",
                        "A referral Bundle holds a Patient, one ServiceRequest and Observations only.",
                        f"Bundle.entry[{index}].resource.resourceType",
                    )
                ]
            )
        by_type.setdefault(kind, []).append((index, resource, entry.get("fullUrl")))
    requests = by_type.get("ServiceRequest", [])
    if len(requests) != 1:
        raise IntakeError([("structure", "The Bundle must hold exactly one ServiceRequest.", "Bundle.entry")])
    index, request, _url = requests[0]
    subject = (request.get("subject") or {}).get("reference")
    patients = by_type.get("Patient", [])
    patient = next((r for _i, r, url in patients if url and url == subject), None)
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
    if len(patients) > (1 if patient is not None else 0):
        extra = next(i for i, r, _u in patients if r is not patient)
        raise IntakeError(
            [("structure", "The only Patient in the Bundle is the referral's subject.", f"Bundle.entry[{extra}]")]
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


def _patient(request: dict, patient: dict | None) -> tuple[Patient, bool]:
    """The referral's patient (an existing Patient/id or the Bundle's Patient), and whether it is new."""
    from conference.patients import services as patients

    if patient is None:
        patient_id = _reference_id((request.get("subject") or {}).get("reference"), "Patient")
        found = db.session.get(Patient, int(patient_id)) if patient_id and patient_id.isdigit() else None
        if found is None:
            raise IntakeError(
                [("not-found", "The subject must be a Patient in the Bundle or an existing Patient/id.", "subject")]
            )
        return found, False
    identity, _system = _identity(patient)
    name = (patient.get("name") or [{}])[0]
    gender = codes.GENDER_IN.get(patient.get("gender") or "")
    birth = patient.get("birthDate")
    try:
        # FHIR allows a year or a month alone; the unit records a whole date (or takes it from the number)
        born = date.fromisoformat(birth) if birth else None
    except ValueError:
        raise IntakeError([("value", "A whole date of birth (YYYY-MM-DD), or none.", "Patient.birthDate")]) from None
    known = patients.find_by_identity(identity)
    if known is not None:
        return known, False
    try:
        return cases.patient_for_referral(
            identity,
            given_name=" ".join(name.get("given") or []) or None,
            family_name=name.get("family"),
            sex=gender,
            actor=None,
            date_of_birth=born,
        ), True
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


def _measurements(observations: list[dict]) -> tuple[list[cases.MeasurementInput], list[tuple[str, str, str]]]:
    """Observations of one visit (same date and method) become one measurement; with them, per Observation,
    (date, method, column) to find the measurement it became. Values outside the plausible range
    (conference.cases.plausibility, the web form's rules) are refused."""
    from conference.cases.models import MeasurementMethod

    visits: OrderedDict[tuple[str, str], dict] = OrderedDict()
    placed: list[tuple[str, str, str]] = []
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
        value = float(quantity["value"])
        for _column, message in plausibility.problems({column: value}):
            raise IntakeError([("value", message, f"{where}.valueQuantity")])
        visits.setdefault((when, method), {})[column] = value
        placed.append((when, method, column))
    result = []
    for (when, method), values in visits.items():
        if "lld_mm" not in values:
            raise IntakeError(
                [("required", f"The visit of {when} has no leg-length discrepancy (code lld).", "Observation.code")]
            )
        result.append(cases.MeasurementInput(measured_on=date.fromisoformat(when), method=method, **values))
    return sorted(result, key=lambda m: m.measured_on), placed


def receive_referral(payload: dict, client: ApiClient) -> Intake:
    """Create (or find again) the referred case a hospital system posted, with its patient and measurements.
    Idempotent on ServiceRequest.identifier per sending client: the same client posting the same identifier
    again gets the first case back; another client's identifiers are not looked at."""
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
    visits, placed = _measurements(observations)
    existing = _existing(client, key["system"], key["value"])
    if existing is not None:
        return Intake(existing, created=False, entries=_answers(payload, existing, placed, created=False))
    fields = _fields(request, where)
    person, patient_created = _patient(request, patient)
    try:
        case = cases.refer_case(patient=person, actor=None, fields=fields, measurement=visits[0] if visits else None)
        for visit in visits[1:]:
            cases.add_measurement(case, visit, None)
    except cases.CaseError as error:
        where = "Observation.valueQuantity" if error.field in plausibility.RANGES else "Observation.effectiveDateTime"
        raise IntakeError([("value", str(error), where)]) from None
    for identifier in identifiers:
        db.session.add(
            ReferralIdentifier(
                system=identifier["system"][:255], value=identifier["value"][:255], case_id=case.id, client_id=client.id
            )
        )
    db.session.flush()
    audit.record(None, "fhir.referral", "case", case.id, patient_id=person.id, detail={"client": client.id})
    entries = _answers(payload, case, placed, created=True, patient_created=patient_created)
    return Intake(case, created=True, entries=entries)


def _answers(
    payload: dict, case: Case, placed: list[tuple[str, str, str]], *, created: bool, patient_created: bool = False
) -> list[tuple[str, bool]]:
    """(resource reference, created now) for every entry of a transaction Bundle, in its order."""
    if payload.get("resourceType") != "Bundle":
        return [(f"ServiceRequest/{case.id}", created)]
    by_visit = {(m.measured_on.isoformat(), m.method.value): m for m in case.measurements}
    observations = iter(placed)
    answers = []
    for entry in payload.get("entry") or []:
        kind = (entry.get("resource") or {}).get("resourceType")
        if kind == "Patient":
            answers.append((f"Patient/{case.patient_id}", patient_created))
        elif kind == "ServiceRequest":
            answers.append((f"ServiceRequest/{case.id}", created))
        else:
            when, method, column = next(observations)
            measurement = by_visit.get((when, method))
            if measurement is not None and getattr(measurement, column) is not None:
                code = codes.MEASUREMENTS[column][0]
                answers.append((f"Observation/{measurement.id}-{code}", created))
            else:  # sent again, but the first time held other values: the referral stands for it
                answers.append((f"ServiceRequest/{case.id}", False))
    return answers


def case_ids_for_identifier(system: str, value: str) -> list[int]:
    """The cases any system sent with this identifier (a reader may read every referral)."""
    return list(
        db.session.scalars(
            select(ReferralIdentifier.case_id)
            .where(ReferralIdentifier.system == system, ReferralIdentifier.value == value)
            .order_by(ReferralIdentifier.case_id)
        )
    )


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


@dataclass
class ObservationPage:
    """Measurement visits covering the Observations [offset, offset + count) of a search, how many of the first
    visit's Observations come before the page, and the number of Observations in all."""

    rows: list
    skip: int
    total: int


def measurements(*, patient_ids: list[int] | None, count: int, offset: int) -> ObservationPage:
    """Observations page by Observation (one per recorded value of a visit), so _count counts what is returned:
    a running sum of each visit's values picks the visits of the page in one statement."""
    values = sum(
        (sql_case((getattr(Measurement, column).is_not(None), 1), else_=0) for column in codes.MEASUREMENTS),
        start=literal(0),
    )
    visits = select(Measurement.id.label("id"), values.label("n"))
    if patient_ids is not None:
        visits = visits.join(Case, Case.id == Measurement.case_id).where(Case.patient_id.in_(patient_ids))
    order = (Measurement.measured_on, Measurement.id)
    running = visits.add_columns(func.sum(values).over(order_by=order).label("upto")).subquery()
    total = db.session.scalar(select(func.coalesce(func.sum(running.c.n), 0))) or 0
    first = running.c.upto - running.c.n  # Observations before this visit
    wanted = db.session.execute(
        select(running.c.id, first).where(running.c.upto > offset, first < offset + count).order_by(first)
    ).all()
    if not wanted:
        return ObservationPage([], 0, total)
    by_id = {
        m.id: m
        for m in db.session.scalars(
            select(Measurement).options(joinedload(Measurement.case)).where(Measurement.id.in_([w[0] for w in wanted]))
        )
    }
    return ObservationPage([by_id[w[0]] for w in wanted], offset - wanted[0][1], total)


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


def case_images(*, dicom: bool, patient_ids: list[int] | None, ids: list[int] | None, count: int, offset: int) -> Page:
    """A case's DICOM images (ImagingStudy) or its other files (DocumentReference), by patient or id."""
    query = (
        select(CaseImage)
        .join(Case, Case.id == CaseImage.case_id)
        .options(joinedload(CaseImage.case))
        .where((CaseImage.format == ImageFormat.dicom) if dicom else (CaseImage.format != ImageFormat.dicom))
        .order_by(CaseImage.id)
    )
    if patient_ids is not None:
        query = query.where(Case.patient_id.in_(patient_ids))
    if ids is not None:
        query = query.where(CaseImage.id.in_(ids))
    return _page(query, count, offset)
