"""The FHIR R4 REST API (/fhir): a bearer token per hospital system, JSON only, every call audited.

Reads and searches need the scope system/*.read, referral intake system/ServiceRequest.write. Search pages are
bounded (_count at most 200) and take a constant number of statements. Unknown search parameters are refused
(400) rather than ignored: a mistyped patient filter must not return every patient."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Response, current_app, g, request
from sqlalchemy.exc import IntegrityError

from conference import transaction as unit_of_work
from conference.audit import services as audit
from conference.db import utcnow
from conference.extensions import csrf, db
from conference.fhir import bp, codes, resources
from conference.fhir import services as api
from conference.fhir.models import SCOPE_READ, SCOPE_WRITE_REFERRALS
from conference.imaging import radiograph
from conference.policy import allow

FHIR_JSON = "application/fhir+json"
MAX_COUNT = 200
DEFAULT_COUNT = 50
api_route = allow("api")

csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, code: str, text: str, where: str | None = None, issues=None):
        super().__init__(text)
        self.status = status
        self.issues = issues or [(code, text, where)]


def respond(resource, status: int = 200, headers: dict | None = None) -> Response:
    return Response(resource.model_dump_json(), status=status, mimetype=FHIR_JSON, headers=headers)


def outcome(status: int, issues) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="fhir"'} if status == 401 else None
    return respond(resources.operation_outcome(issues), status, headers)


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return outcome(error.status, error.issues)


@bp.errorhandler(api.IntakeError)
def intake_error(error: api.IntakeError):
    return outcome(error.status, error.issues)


def http_outcome(error) -> Response:
    """For errors the app raises under /fhir (unknown route, wrong method): an OperationOutcome, not a page."""
    codes_by_status = {404: "not-found", 405: "not-supported", 413: "too-costly"}
    return outcome(error.code or 500, [(codes_by_status.get(error.code, "processing"), error.description, None)])


JSON_TYPES = (FHIR_JSON, "application/json")


def _negotiate() -> Response | None:
    """FHIR JSON in and out: 406 when the Accept header excludes it, 415 for a body of another type, 400 for
    a NUL character in a parameter (no database takes one in text)."""
    if any("\x00" in value for value in request.args.values()):
        return outcome(400, [("value", "A search parameter holds a NUL character.", None)])
    if request.endpoint == "fhir.binary":
        return None  # the Word file itself
    # media-type parameters (fhirVersion=4.0) do not change what is asked for
    accepted = {value.split(";")[0].strip().lower() for value, quality in request.accept_mimetypes if quality > 0}
    if request.headers.get("Accept") and not accepted & {*JSON_TYPES, "*/*", "application/*"}:
        return outcome(406, [("not-supported", f"This server answers {FHIR_JSON} only.", None)])
    if request.method == "POST" and request.mimetype not in JSON_TYPES:
        return outcome(415, [("not-supported", f"Send {FHIR_JSON} (or application/json).", None)])
    return None


@bp.before_request
def authenticate():
    g.api_client = api.client_for_token(request.headers.get("Authorization"))
    unit_of_work.keep(_record_call)
    refused = _negotiate()
    if refused is not None:
        return refused
    if request.endpoint == "fhir.capabilities":
        return None
    if g.api_client is None:
        return outcome(401, [("login", "A valid bearer token is needed (Authorization: Bearer ...).", None)])
    return None


def _record_call(status: int) -> None:
    """Every call, allowed or not, in the audit log (kept when the call is refused): the client, the interaction,
    the outcome (the path holds record ids only; the query string, which may hold an identity number, is not
    kept)."""
    client = getattr(g, "api_client", None)
    if client is not None:
        client.last_used_at = utcnow()
    audit.record(
        None,
        "fhir.call",
        "api_client",
        client.id if client is not None else None,
        detail={
            "method": request.method,
            "path": request.path,
            "status": status,
            "parameters": sorted(set(request.args)),
        },
    )


def need(scope: str) -> None:
    if scope not in (g.api_client.scopes or []):
        raise ApiError(403, "forbidden", f"This token lacks the scope {scope}.")


def _int(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise ApiError(400, "value", f"{name} must be a whole number.", name)
    value = int(raw)
    return min(value, maximum) if maximum else value


def _ids(raw: str | None, resource_type: str) -> list[int] | None:
    """Reference search values: 'Patient/5', '5', or several separated by commas."""
    if raw is None:
        return None
    ids = []
    for part in raw.split(","):
        part = part.strip()
        if part.startswith(resource_type + "/"):
            part = part[len(resource_type) + 1 :]
        if not part.isdigit() or len(part) > 18:
            return []
        ids.append(int(part))
    return ids


def _both(a: list[int] | None, b: list[int] | None) -> list[int] | None:
    if a is None:
        return b
    if b is None:
        return a
    return [x for x in a if x in set(b)]


def _patient_filter() -> list[int] | None:
    ids = _both(_ids(request.args.get("patient"), "Patient"), _ids(request.args.get("subject"), "Patient"))
    for name in ("patient.identifier", "subject:Patient.identifier", "subject.identifier"):
        if name in request.args:
            ids = _both(ids, api.patient_ids_for_identifier(request.args[name]))
    return ids


PATIENT_PARAMETERS = ("patient", "subject", "patient.identifier", "subject:Patient.identifier", "subject.identifier")
SEARCH_PARAMETERS = {
    "Patient": {"_id", "identifier", "family"},
    "ServiceRequest": {
        "_id",
        "patient",
        "subject",
        "patient.identifier",
        "subject:Patient.identifier",
        "subject.identifier",
        "identifier",
    },
    "Observation": {"patient", "subject", "patient.identifier", "subject:Patient.identifier", "subject.identifier"},
    "CarePlan": {"_id", "patient", "subject", "patient.identifier", "subject:Patient.identifier", "subject.identifier"},
    "Task": {"_id", "patient", "subject", "patient.identifier", "subject:Patient.identifier", "subject.identifier"},
    "Encounter": {"_id"},
    "DocumentReference": {"_id", *PATIENT_PARAMETERS},
    "ImagingStudy": {"_id", *PATIENT_PARAMETERS},
}
COMMON_PARAMETERS = {"_count", "_offset", "_format"}


def _shown(resource_type: str, pairs: list[tuple[int, int | None]]) -> None:
    pairs = [(target, patient) for target, patient in pairs if patient is not None]
    if pairs:
        audit.record_shown(None, "fhir.read", resource_type, pairs, detail={"client": g.api_client.id})


# --- building each type's resources from a page of rows ---------------------------------------------------------


def _patients(rows):
    _shown("patient", [(p.id, p.id) for p in rows])
    return [resources.patient(p) for p in rows]


def _service_requests(rows):
    ids = [c.id for c in rows]
    identifiers = api.referral_identifiers(ids)
    measurements = api.measurements_of(ids)
    _shown("case", [(c.id, c.patient_id) for c in rows])
    return [
        resources.service_request(
            c,
            identifiers=identifiers.get(c.id, []),
            observation_ids=[oid for m in measurements.get(c.id, []) for oid in resources.observation_ids(m)],
        )
        for c in rows
    ]


def _observations(rows):
    _shown("case", [(m.case_id, m.case.patient_id) for m in rows])
    evidence = radiograph.for_measurements(rows)
    return [
        o
        for m in rows
        for o in resources.observations(m, m.case.patient_id, evidence[m.id].image if m.id in evidence else None)
    ]


def _care_plans(rows):
    signed = api.locked_conferences({d.conference_id for d in rows})
    _shown("case", [(d.case_id, d.case.patient_id) for d in rows])
    return [resources.care_plan(d, signed=d.conference_id in signed) for d in rows]


def _tasks(rows):
    def patient_of(action):
        return action.decision.case.patient_id if action.decision is not None else None

    _shown("case", [(a.decision.case_id, patient_of(a)) for a in rows if a.decision is not None])
    return [resources.task(a, patient_of(a)) for a in rows]


def _encounters(rows):
    attendance = api.attendance([c.id for c in rows])
    return [resources.encounter(c, attendance.get(c.id, [])) for c in rows]


def _documents(rows):
    from conference.minutes.services import latest_signed_versions

    latest = latest_signed_versions(list({m.conference_id for m in rows}))
    return [resources.document_reference(m, superseded=m.version < latest.get(m.conference_id, 0)) for m in rows]


def _images(rows):
    _shown("case_image", [(i.id, i.case.patient_id) for i in rows])
    return [
        resources.imaging_study(i) if i.format.value == "dicom" else resources.image_document_reference(i) for i in rows
    ]


def _query(resource_type: str, ids: list[int] | None, count: int, offset: int):
    patients = _patient_filter()
    if resource_type == "Patient":
        if "identifier" in request.args:
            ids = _both(ids, api.patient_ids_for_identifier(request.args["identifier"]))
        return api.patients(ids=ids, family=request.args.get("family"), count=count, offset=offset), _patients
    if resource_type == "ServiceRequest":
        if "identifier" in request.args:
            system, _bar, value = request.args["identifier"].rpartition("|")
            if system == codes.CASE_ID:
                found = [int(value)] if value.isdigit() and len(value) < 18 else []
            else:
                found = api.case_ids_for_identifier(system, value)
            ids = _both(ids, found)
        page = api.service_requests(patient_ids=patients, case_ids=ids, count=count, offset=offset)
        return page, _service_requests
    if resource_type == "Observation":
        return api.measurements(patient_ids=patients, count=count, offset=offset), _observations
    if resource_type == "CarePlan":
        return api.decisions(patient_ids=patients, ids=ids, count=count, offset=offset), _care_plans
    if resource_type == "Task":
        return api.actions(patient_ids=patients, ids=ids, count=count, offset=offset), _tasks
    if resource_type == "Encounter":
        return api.conferences(ids=ids, count=count, offset=offset), _encounters
    if resource_type == "ImagingStudy":
        return api.case_images(dicom=True, patient_ids=patients, ids=ids, count=count, offset=offset), _images
    if patients is not None or request.args.get("_id", "").startswith("image-"):
        # A patient's documents are the files of their cases (signed minutes concern a meeting, not one patient).
        image_ids = None if ids is None else ids
        return api.case_images(dicom=False, patient_ids=patients, ids=image_ids, count=count, offset=offset), _images
    return api.signed_minutes(ids=ids, count=count, offset=offset), _documents


def _check_parameters(resource_type: str) -> None:
    if resource_type not in SEARCH_PARAMETERS:
        raise ApiError(404, "not-supported", f"This server has no {resource_type} resources.", "type")
    unknown = sorted(set(request.args) - SEARCH_PARAMETERS[resource_type] - COMMON_PARAMETERS)
    if unknown:
        raise ApiError(400, "not-supported", f"Search parameter not supported: {', '.join(unknown)}.", unknown[0])


@bp.route("/<resource_type>", methods=["GET"])
@api_route
def search(resource_type: str):
    """type?parameters: a searchset Bundle, one page (_count, _offset) with a next link."""
    need(SCOPE_READ)
    _check_parameters(resource_type)
    count = max(1, _int("_count", DEFAULT_COUNT, MAX_COUNT))
    offset = _int("_offset", 0)
    ids = _ids(request.args.get("_id"), resource_type)
    page, build = _query(resource_type, ids, count, offset)
    found = build(page.rows)
    if resource_type == "Observation":  # visits give several Observations: the page's part of them
        found = found[page.skip : page.skip + count]
    base = current_app.config["CONFERENCE_BASE_URL"].rstrip("/") + request.path
    arguments = [(k, v) for k, v in request.args.items(multi=True) if k not in ("_offset",)]
    next_url = None
    if offset + count < page.total:
        next_url = base + "?" + urlencode(arguments + [("_offset", offset + count)])
    self_url = base + ("?" + urlencode(arguments + [("_offset", offset)]) if arguments or offset else "")
    return respond(resources.searchset(found, total=page.total, self_url=self_url, next_url=next_url))


@bp.route("/<resource_type>/<resource_id>", methods=["GET"])
@api_route
def read(resource_type: str, resource_id: str):
    """type/id: one resource, or 404 OperationOutcome."""
    need(SCOPE_READ)
    if resource_type not in SEARCH_PARAMETERS:
        raise ApiError(404, "not-supported", f"This server has no {resource_type} resources.", "type")
    found = []
    if resource_type == "Observation":
        measurement_id, _dash, code = resource_id.partition("-")
        if measurement_id.isdigit() and len(measurement_id) < 18:
            measurement = api.measurement(int(measurement_id))
            if measurement is not None:
                found = [o for o in _observations([measurement]) if o.id == resource_id]
    elif resource_type == "DocumentReference" and resource_id.startswith("image-"):
        number = resource_id.removeprefix("image-")
        if number.isdigit() and len(number) < 18:
            page = api.case_images(dicom=False, patient_ids=None, ids=[int(number)], count=1, offset=0)
            found = _images(page.rows)
    elif resource_id.isdigit() and len(resource_id) < 18:
        page, build = _query(resource_type, [int(resource_id)], 1, 0)
        found = build(page.rows)
    if not found:
        raise ApiError(404, "not-found", f"{resource_type}/{resource_id} is not known.")
    return respond(found[0])


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _body() -> dict:
    """The posted resource: a JSON object, not nested beyond reason, without NaN or NUL characters."""
    try:
        payload = json.loads(request.get_data(cache=True, as_text=True) or "null", parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "structure", "The body is not JSON (or is nested too deeply).") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "structure", "The body must be a FHIR resource (a JSON object).")
    pending, depth_limit = [(payload, 0)], 64
    while pending:
        value, depth = pending.pop()
        if depth > depth_limit:
            raise ApiError(400, "structure", f"The body is nested deeper than {depth_limit} levels.")
        if isinstance(value, dict):
            pending += [(key, depth + 1) for key in value] + [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            pending += [(item, depth + 1) for item in value]
        elif isinstance(value, str) and "\x00" in value:
            raise ApiError(400, "value", "The body holds a NUL character.")
    return payload


def _intake(payload: dict):
    need(SCOPE_WRITE_REFERRALS)
    try:
        with db.session.begin_nested():
            result = api.receive_referral(payload, g.api_client)
    except IntegrityError:
        # The same identifier posted twice at once: the other request made the case; answer with it.
        result = api.receive_referral(payload, g.api_client)
    request_resource = _service_requests([result.case])[0]
    location = current_app.config["CONFERENCE_BASE_URL"].rstrip("/") + f"/fhir/ServiceRequest/{result.case.id}"
    return result, request_resource, location


@bp.route("/ServiceRequest", methods=["POST"])
@api_route
def create_referral():
    """A referral (ServiceRequest, with a contained or existing Patient): 201 the first time, 200 with the same
    case when this client sent its identifier before."""
    payload = _body()
    if payload.get("resourceType") == "Bundle":
        raise ApiError(400, "structure", "Post transaction Bundles to the base address (/fhir).", "resourceType")
    result, resource, location = _intake(payload)
    return respond(resource, 201 if result.created else 200, {"Location": location})


@bp.route("", methods=["POST"])
@bp.route("/", methods=["POST"])
@api_route
def transaction():
    """A transaction Bundle with the Patient, the ServiceRequest and its Observations: the answer has one entry
    per entry posted, in the same order, each with its location and status (the ServiceRequest's with the
    resource)."""
    from fhir.resources.R4B.bundle import Bundle

    result, resource, _location = _intake(_body())
    base = current_app.config["CONFERENCE_BASE_URL"].rstrip("/") + "/fhir/"
    entries = []
    for reference, created in result.entries:
        entry = {"response": {"status": "201 Created" if created else "200 OK", "location": base + reference}}
        if reference == f"ServiceRequest/{result.case.id}" and not any("resource" in e for e in entries):
            entry["resource"] = resource
        entries.append(entry)
    return respond(Bundle(type="transaction-response", entry=entries), 200)


@bp.route("/Binary/<int:document_id>", methods=["GET"])
@api_route
def binary(document_id: int):
    """The signed minutes' Word file a DocumentReference points to, verified against its SHA-256."""
    from conference.documents.services import DocumentTampered
    from conference.minutes import services as minutes_services
    from conference.minutes.models import Minutes, MinutesStatus

    need(SCOPE_READ)
    minutes = db.session.get(Minutes, document_id)
    if minutes is None or minutes.status is not MinutesStatus.signed or minutes.document_id is None:
        raise ApiError(404, "not-found", f"Binary/{document_id} is not known.")
    try:
        data = minutes_services.signed_document(minutes.conference, minutes.version)
    except DocumentTampered:
        raise ApiError(409, "conflict", "The stored document no longer matches its SHA-256.") from None
    _shown("case", minutes_services.shown_patients(minutes.conference))
    return Response(data, mimetype=resources.DOCX)


@bp.route("/Binary/image-<int:image_id>", methods=["GET"])
@api_route
def image_binary(image_id: int):
    """A case's image or document as received, verified against its SHA-256 (an attachment, never inline)."""
    from conference.imaging import services as imaging

    need(SCOPE_READ)
    image = imaging.get(image_id)
    if image is None:
        raise ApiError(404, "not-found", f"Binary/image-{image_id} is not known.")
    try:
        with imaging.open_original(image) as source:
            data = source.read()
    except (imaging.StoredFileTampered, FileNotFoundError):
        raise ApiError(409, "conflict", "The stored file no longer matches its SHA-256.") from None
    _shown("case_image", [(image.id, image.case.patient_id)])
    response = Response(data, mimetype=image.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename={imaging.download_name(image)}"
    return response


@bp.route("/metadata", methods=["GET"])
@bp.route("/metadata/", methods=["GET"])
@api_route
def capabilities():
    """The CapabilityStatement: what this server reads, searches and accepts (no token needed)."""
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    def entry(resource_type: str, interactions: list[str]) -> dict:
        return {
            "type": resource_type,
            "interaction": [{"code": code} for code in interactions],
            "searchParam": [
                {"name": name, "type": "token" if "identifier" in name or name == "_id" else "reference"}
                for name in sorted(SEARCH_PARAMETERS[resource_type])
                if name not in ("family",)
            ]
            + ([{"name": "family", "type": "string"}] if resource_type == "Patient" else []),
        }

    statement = CapabilityStatement(
        status="active",
        date=resources.instant(utcnow()),
        kind="instance",
        software={"name": "conference"},
        implementation={
            "description": current_app.config["CONFERENCE_UNIT_NAME"],
            "url": current_app.config["CONFERENCE_BASE_URL"].rstrip("/") + "/fhir",
        },
        fhirVersion="4.0.1",  # R4: the resources used here are the same in R4B's models
        format=["json"],
        rest=[
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                    "display": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "Bearer tokens issued per system by the unit's administrator, with the scopes "
                    f"{SCOPE_READ} and {SCOPE_WRITE_REFERRALS}.",
                },
                "resource": [
                    entry("Patient", ["read", "search-type"]),
                    entry("ServiceRequest", ["read", "search-type", "create"]),
                    entry("Observation", ["read", "search-type"]),
                    entry("CarePlan", ["read", "search-type"]),
                    entry("Task", ["read", "search-type"]),
                    entry("Encounter", ["read", "search-type"]),
                    entry("DocumentReference", ["read", "search-type"]),
                    entry("ImagingStudy", ["read", "search-type"]),
                ],
                "interaction": [{"code": "transaction"}],
            }
        ],
    )
    return respond(statement)
