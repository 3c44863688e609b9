"""The unit's records as FHIR resources, built and validated by fhir.resources (R4B models: for the resources
used here R4B is R4 with technical corrections only, so R4 systems read them as R4).

Every builder returns a validated model; the routes serialise it. No patient identifier leaves through anything
but the Patient resource and the references to it."""

from __future__ import annotations

import base64
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.imagingstudy import ImagingStudy
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from flask import current_app, url_for
from flask_babel import force_locale

from conference.fhir import codes
from conference.labels import LabelledEnum
from conference.patients.identity import IdentityKind

IDENTITY_SYSTEMS = {
    IdentityKind.personnummer: codes.PERSONNUMMER,
    IdentityKind.samordningsnummer: codes.SAMORDNINGSNUMMER,
    IdentityKind.reserve: codes.RESERVE_NUMBER,
}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def _coding(system: str, code: str, display: str | None = None) -> dict:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    return {"coding": [_coding(system, code, display)], **({"text": text} if text else {})}


def _english(label) -> str:
    """A label as the code systems display it, in English: a lazy translation, or an enum member carrying one."""
    with force_locale("en"):
        return label.label if isinstance(label, LabelledEnum) else str(label)


def absolute(endpoint: str, **values) -> str:
    return current_app.config["CONFERENCE_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def patient_reference(patient_id: int) -> dict:
    return {"reference": f"Patient/{patient_id}"}


def patient(record) -> Patient:
    return Patient(
        id=str(record.id),
        meta={"versionId": str(record.version)} if getattr(record, "version", None) is not None else None,
        identifier=[{"system": IDENTITY_SYSTEMS[record.id_kind], "value": record.national_id}],
        name=[{"use": "official", "family": record.family_name, "given": [record.given_name], "text": record.name}],
        gender=codes.GENDER_OUT[record.sex.value],
        birthDate=record.date_of_birth,
    )


def _request_status(case) -> str:
    from conference.cases.models import CaseStatus

    if case.status in (CaseStatus.decided, CaseStatus.follow_up, CaseStatus.closed):
        return "completed"
    return "active"


def _laterality(side) -> dict | None:
    if side is None:
        return None
    code, display = codes.LATERALITY[side.value]
    return {
        "coding": [
            _coding(codes.SNOMED, codes.LOWER_LIMB[0], codes.LOWER_LIMB[1]),
            _coding(codes.SNOMED, code, display),
        ],
        "text": f"{display} lower limb",
    }


def service_request(case, *, identifiers=(), observation_ids=()) -> ServiceRequest:
    """The referral: what the referrer asks the conference, about which patient, with which findings."""
    from conference.cases.models import DIAGNOSES

    reason = None
    if case.diagnosis:
        text = case.diagnosis_text if case.diagnosis == "other" and case.diagnosis_text else None
        reason = [_concept(codes.DIAGNOSIS, case.diagnosis, _english(DIAGNOSES[case.diagnosis]), text)]
    notes = []
    if case.question:
        notes.append({"text": case.question})
    if case.clinical_summary:
        notes.append({"text": case.clinical_summary})
    body_site = _laterality(case.side)
    return ServiceRequest(
        id=str(case.id),
        meta={"versionId": str(case.version)},
        identifier=[{"system": codes.CASE_ID, "value": str(case.id)}]
        + [{"system": i.system, "value": i.value} for i in identifiers],
        status=_request_status(case),
        intent="order",
        priority=codes.PRIORITY_OUT[case.priority.value],
        category=[_concept(codes.CATEGORY, "mdt-referral", "Referral to the multidisciplinary conference")],
        code=_concept(codes.CATEGORY, "mdt-assessment", "Multidisciplinary assessment"),
        subject=patient_reference(case.patient_id),
        authoredOn=instant(case.referred_at),
        requester={"display": case.referring_clinician},
        reasonCode=reason,
        bodySite=[body_site] if body_site else None,
        note=notes or None,
        supportingInfo=[{"reference": f"Observation/{oid}"} for oid in observation_ids] or None,
    )


def observation_id(measurement_id: int, code: str) -> str:
    return f"{measurement_id}-{code}"


def observation_ids(measurement) -> list[str]:
    """The ids of the Observations a measurement visit gives (one per recorded value)."""
    return [
        observation_id(measurement.id, code)
        for column, (code, _display, _unit) in codes.MEASUREMENTS.items()
        if getattr(measurement, column) is not None
    ]


def image_reference(image) -> dict:
    """The resource a case image is served as: a DICOM image's ImagingStudy, any other file's DocumentReference."""
    from conference.imaging.models import ImageFormat

    if image.format is ImageFormat.dicom:
        return {"reference": f"ImagingStudy/{image.id}"}
    return {"reference": f"DocumentReference/image-{image.id}"}


def observations(measurement, patient_id: int, derived_from=None) -> list[Observation]:
    """One Observation per value a measurement visit recorded (the discrepancy, its parts, lengths, angles);
    `derived_from`, the image a radiograph measurement was made on (its values were read from it)."""
    method = _concept(codes.MEASUREMENT_METHOD, measurement.method.value, _english(measurement.method))
    result = []
    for column, (code, display, unit) in codes.MEASUREMENTS.items():
        value = getattr(measurement, column)
        if value is None:
            continue
        result.append(
            Observation(
                id=observation_id(measurement.id, code),
                status="final",
                category=[_concept(codes.OBSERVATION_CATEGORY, "exam", "Exam")],
                code=_concept(codes.MEASUREMENT, code, display),
                subject=patient_reference(patient_id),
                basedOn=[{"reference": f"ServiceRequest/{measurement.case_id}"}],
                effectiveDateTime=measurement.measured_on.isoformat(),
                valueQuantity={"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
                method=method,
                bodySite={"coding": [_coding(codes.SNOMED, *codes.LOWER_LIMB)]},
                derivedFrom=[image_reference(derived_from)] if derived_from is not None else None,
            )
        )
    return result


def activity_status(decision, *, signed: bool) -> str:
    """What became of the decided treatment, from what the record holds: not yet signed -> unknown; the patient
    declined -> cancelled; to be told -> on-hold; accepted -> not-started, in-progress once the case is in
    follow-up, completed once it is closed."""
    from conference.cases.models import CaseStatus
    from conference.meetings.models import PatientResponse

    if not signed:
        return "unknown"
    if decision.patient_response is PatientResponse.declined:
        return "cancelled"
    if decision.patient_response is PatientResponse.will_be_told:
        return "on-hold"
    return {CaseStatus.follow_up: "in-progress", CaseStatus.closed: "completed"}.get(
        decision.case.status, "not-started"
    )


def care_plan(decision, *, signed: bool) -> CarePlan:
    """A conference decision as the German MII tumour-board profile models one: category multidisciplinary
    assessment, created on the conference date, the treatment as activity.detail.code, the patient's response
    and wishes beside it."""
    conference = decision.conference
    status = activity_status(decision, signed=signed)
    detail = {
        "status": status,
        "code": _concept(codes.TREATMENT, decision.treatment.value, _english(decision.treatment)),
        "statusReason": _concept(
            codes.PATIENT_RESPONSE,
            decision.patient_response.value,
            _english(decision.patient_response),
        ),
        "description": decision.rationale,
    }
    activities = [{"detail": detail}]
    plan = decision.rehab_plan
    if plan is not None:
        activities.append(
            {
                "detail": {
                    "status": status,
                    "code": _concept(codes.TREATMENT, "rehabilitation", "Rehabilitation plan"),
                    "scheduledString": plan.rhythm or None,
                    "description": "; ".join(
                        part for part in (plan.physiotherapy, plan.occupational_therapy, plan.home_exercises) if part
                    )
                    or None,
                }
            }
        )
    notes = [{"text": decision.patient_wishes}] if decision.patient_wishes else None
    return CarePlan(
        id=str(decision.id),
        meta={"versionId": str(decision.version)},
        status="active" if signed else "draft",
        intent="plan",
        category=[_concept(codes.CATEGORY, "multidisciplinary-assessment", "Multidisciplinary assessment")],
        title="Multidisciplinary conference decision",
        description=decision.rationale,
        subject=patient_reference(decision.case.patient_id),
        encounter={"reference": f"Encounter/{conference.id}"},
        created=instant(conference.starts_at),
        supportingInfo=[{"reference": f"ServiceRequest/{decision.case_id}"}],
        activity=activities,
        note=notes,
    )


def task(action, patient_id: int | None) -> Task:
    """An action item from a meeting: who does what by when, and for which decision."""
    from conference.meetings.models import ActionStatus

    return Task(
        id=str(action.id),
        status="completed" if action.status is ActionStatus.done else "requested",
        intent="order",
        description=action.description,
        focus={"reference": f"CarePlan/{action.decision_id}"} if action.decision_id else None,
        for_fhir=patient_reference(patient_id) if patient_id else None,
        encounter={"reference": f"Encounter/{action.conference_id}"},
        authoredOn=instant(action.created_at),
        lastModified=instant(action.updated_at),
        owner={"display": action.owner.name},
        restriction={"period": {"end": _end_of_day(action.due_on)}} if action.due_on else None,
    )


def _end_of_day(day) -> str:
    """23:59 of the day in the unit's time zone (a due date is the unit's day, not UTC's), with its offset."""
    zone = ZoneInfo(current_app.config["CONFERENCE_TIMEZONE"])
    return datetime.combine(day, time(23, 59), tzinfo=zone).isoformat(timespec="seconds")


def encounter(conference, attendances) -> Encounter:
    """The conference meeting and who attended (in the room or remotely); the chair as primary performer."""
    from conference.conferences.models import ConferenceStatus
    from conference.meetings.models import AttendanceStatus

    status = {
        ConferenceStatus.scheduled: "planned",
        ConferenceStatus.held: "finished",
        ConferenceStatus.cancelled: "cancelled",
    }[conference.status]
    participants = []
    if conference.chair is not None:
        participants.append(
            {
                "type": [_concept(codes.PARTICIPATION_TYPE, "PPRF", "primary performer")],
                "individual": {"display": conference.chair.name},
            }
        )
    for attendance in attendances:
        if attendance.status is AttendanceStatus.absent or attendance.user_id == conference.chair_id:
            continue
        participants.append(
            {
                "type": [_concept(codes.PARTICIPATION_TYPE, "PART", "Participation")],
                "individual": {"display": attendance.user.name},
            }
        )
    return Encounter(
        id=str(conference.id),
        status=status,
        class_fhir=_coding(codes.ACT_CODE, "AMB", "ambulatory"),
        type=[_concept(codes.CATEGORY, "mdt-conference", "Multidisciplinary team conference")],
        period={"start": instant(conference.starts_at), "end": instant(conference.ends_at)},
        participant=participants or None,
    )


def sha256_identifier(hex_digest: str) -> dict:
    raw = bytes.fromhex(hex_digest)
    return {"system": codes.RFC6920, "value": "ni:///sha-256;" + base64.urlsafe_b64encode(raw).decode().rstrip("=")}


def document_reference(minutes, *, superseded: bool) -> DocumentReference:
    """Signed minutes: the document's SHA-256 as an RFC 6920 identifier (FHIR's attachment.hash is SHA-1)."""
    document = minutes.stored_document
    return DocumentReference(
        id=str(minutes.id),
        identifier=[sha256_identifier(minutes.document_sha256)],
        status="superseded" if superseded else "current",
        docStatus="amended" if minutes.version > 1 else "final",
        type=_concept(codes.CATEGORY, "mdt-minutes", "Minutes of a multidisciplinary conference"),
        date=instant(minutes.signed_at),
        authenticator={"display": minutes.signed_by.name} if minutes.signed_by else None,
        description=f"Minutes, version {minutes.version}",
        content=[
            {
                "attachment": {
                    "contentType": DOCX,
                    "url": absolute("fhir.binary", document_id=minutes.id),
                    "size": document.size if document else None,
                    "title": f"minutes-v{minutes.version}.docx",
                    "creation": instant(minutes.signed_at),
                }
            }
        ],
        context={"encounter": [{"reference": f"Encounter/{minutes.conference_id}"}]},
    )


DICOM_MODALITY = "http://dicom.nema.org/resources/ontology/DCM"


def _dicom_uid(uid: str) -> dict:
    return {"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"}


def imaging_study(image) -> ImagingStudy:
    """A DICOM image of a case as the study it came from, with its one series and instance (the PACS keeps the
    rest); the file itself through Binary/image-<id>."""
    modality = _coding(DICOM_MODALITY, image.modality or "OT")
    sop_class = image.sop_class_uid or "1.2.840.10008.5.1.4.1.1.7"  # secondary capture, if the file named none
    instance = {"uid": image.sop_instance_uid or "0", "sopClass": _coding("urn:ietf:rfc:3986", f"urn:oid:{sop_class}")}
    started = datetime.combine(image.taken_on, time(0), tzinfo=timezone.utc)
    return ImagingStudy(
        id=str(image.id),
        identifier=[_dicom_uid(image.study_instance_uid)] if image.study_instance_uid else None,
        status="available",
        modality=[modality],
        subject=patient_reference(image.case.patient_id),
        basedOn=[{"reference": f"ServiceRequest/{image.case_id}"}],
        started=started.date().isoformat(),
        numberOfSeries=1,
        numberOfInstances=1,
        description=_english(image.kind),
        series=[
            {
                "uid": image.series_instance_uid or "0",
                "modality": modality,
                "numberOfInstances": 1,
                "bodySite": _coding(codes.SNOMED, codes.LOWER_LIMB[0], codes.LOWER_LIMB[1]),
                "laterality": _coding(codes.SNOMED, *codes.LATERALITY[image.side.value]) if image.side else None,
                "instance": [instance],
            }
        ],
        note=[{"text": f"Kept although it did not match the patient ({image.mismatch}): {image.override_reason}"}]
        if image.mismatch
        else None,
    )


def image_document_reference(image) -> DocumentReference:
    """A picture or document of a case (a PDF letter, a clinical photo), its SHA-256 as an RFC 6920 identifier."""
    return DocumentReference(
        id=f"image-{image.id}",
        identifier=[sha256_identifier(image.sha256)],
        status="current",
        type=_concept(codes.CATEGORY, f"case-{image.kind.value}", _english(image.kind)),
        subject=patient_reference(image.case.patient_id),
        date=instant(image.added_at),
        content=[
            {
                "attachment": {
                    "contentType": image.content_type,
                    "url": absolute("fhir.image_binary", image_id=image.id),
                    "size": image.size,
                    "title": f"image-{image.id}",
                    "creation": instant(datetime.combine(image.taken_on, time(0), tzinfo=timezone.utc)),
                }
            }
        ],
        context={"related": [{"reference": f"ServiceRequest/{image.case_id}"}]},
    )


def searchset(resources: list, *, total: int, self_url: str, next_url: str | None) -> Bundle:
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return Bundle(
        type="searchset",
        total=total,
        link=links,
        entry=[
            {
                "fullUrl": current_app.config["CONFERENCE_BASE_URL"].rstrip("/")
                + f"/fhir/{r.get_resource_type()}/{r.id}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ]
        or None,
    )


def operation_outcome(issues: list[tuple[str, str, str | None]]) -> OperationOutcome:
    """issues: (code, diagnostics, FHIRPath expression of the field)."""
    return OperationOutcome(
        issue=[
            {
                "severity": "error" if code not in ("informational",) else "information",
                "code": code,
                "diagnostics": text,
                **({"expression": [where]} if where else {}),
            }
            for code, text, where in issues
        ]
    )
