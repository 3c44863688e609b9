"""The FHIR API against the demo unit: every resource it returns validates with the FHIR model library; a
search by a patient's identity number returns that patient's referrals, measurements and decisions and no one
else's; referral Bundles are taken once, refused with an OperationOutcome naming the field, and need the write
scope; every call is in the audit log."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from docx import Document
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import func, select

from conference.audit.models import AuditEvent
from conference.cases.models import Case, Measurement
from conference.db import local_today
from conference.extensions import db
from conference.fhir import codes
from conference.fhir import services as api
from conference.fhir.models import SCOPE_READ, SCOPE_WRITE_REFERRALS
from conference.meetings.models import Decision
from conference.patients.models import Patient
from conference.people.models import Role, User
from conference.seed import seed_demo

TYPES = [
    "Patient",
    "ServiceRequest",
    "Observation",
    "CarePlan",
    "Task",
    "Encounter",
    "DocumentReference",
    "ImagingStudy",
]


@pytest.fixture
def demo(app):
    with app.app_context():
        seed_demo(history=True)
        db.session.commit()


def _token(app, *scopes: str) -> dict[str, str]:
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == Role.admin))
        if admin is None:
            admin = User(email="fhir-admin@example-hospital.se", name="A", role=Role.admin, password_hash="x")
            db.session.add(admin)
            db.session.flush()
        _client, token = api.issue_client("Integration engine", list(scopes), admin)
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def reader(app):
    return _token(app, SCOPE_READ)


@pytest.fixture
def writer(app):
    return _token(app, SCOPE_READ, SCOPE_WRITE_REFERRALS)


def _all(client, headers, url):
    """Every entry of a search, following the next links."""
    entries, pages = [], 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "application/fhir+json"
        bundle = get_fhir_model_class("Bundle").model_validate_json(response.get_data())
        entries += [entry.resource for entry in bundle.entry or []]
        url = next(
            (link.url.replace("http://127.0.0.1:5000", "") for link in bundle.link if link.relation == "next"), None
        )
        pages += 1
    return entries, pages


def test_every_resource_of_the_demo_validates(app, client, demo, reader):
    seen = {}
    for resource_type in TYPES:
        entries, pages = _all(client, reader, f"/fhir/{resource_type}?_count=37")
        assert entries, resource_type
        for resource in entries:
            assert resource.get_resource_type() == resource_type
            # re-validate from the wire form: what a receiving system would parse
            get_fhir_model_class(resource_type).model_validate_json(resource.model_dump_json())
        one = client.get(f"/fhir/{resource_type}/{entries[-1].id}", headers=reader)
        assert one.status_code == 200
        assert get_fhir_model_class(resource_type).model_validate_json(one.get_data()).id == entries[-1].id
        seen[resource_type] = len(entries)
    capability = client.get("/fhir/metadata")
    statement = get_fhir_model_class("CapabilityStatement").model_validate_json(capability.get_data())
    assert {r.type for r in statement.rest[0].resource} == set(TYPES)
    with app.app_context():
        assert seen["Patient"] == db.session.scalar(select(func.count()).select_from(Patient))
        assert seen["ServiceRequest"] == db.session.scalar(select(func.count()).select_from(Case))
        assert seen["CarePlan"] == db.session.scalar(select(func.count()).select_from(Decision))


def test_the_signed_minutes_are_served_with_their_sha256(app, client, demo, reader):
    entries, _ = _all(client, reader, "/fhir/DocumentReference?_count=5")
    reference = entries[0]
    url = reference.content[0].attachment.url.replace("http://127.0.0.1:5000", "")
    response = client.get(url, headers=reader)
    assert response.status_code == 200
    digest = hashlib.sha256(response.data).digest()
    import base64

    assert reference.identifier[0].value == "ni:///sha-256;" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert Document(io.BytesIO(response.data)).paragraphs  # a real Word file
    assert client.get(url).status_code == 401


def test_a_search_by_identity_number_returns_that_patients_records_only(app, client, demo, reader):
    with app.app_context():
        # the demo patient with the most decisions
        patient_id, _n = db.session.execute(
            select(Case.patient_id, func.count(Decision.id))
            .join(Decision, Decision.case_id == Case.id)
            .group_by(Case.patient_id)
            .order_by(func.count(Decision.id).desc())
        ).first()
        patient = db.session.get(Patient, patient_id)
        number = patient.national_id_display  # with the hyphen, as people write it
        expected = {
            "ServiceRequest": db.session.scalar(
                select(func.count()).select_from(Case).where(Case.patient_id == patient_id)
            ),
            "CarePlan": db.session.scalar(
                select(func.count())
                .select_from(Decision)
                .join(Case, Case.id == Decision.case_id)
                .where(Case.patient_id == patient_id)
            ),
            "Measurement": db.session.scalar(
                select(func.count())
                .select_from(Measurement)
                .join(Case, Case.id == Measurement.case_id)
                .where(Case.patient_id == patient_id)
            ),
        }
    assert expected["CarePlan"] >= 1 and expected["Measurement"] >= 1
    found = client.get(f"/fhir/Patient?identifier={codes.PERSONNUMMER}|{number}", headers=reader).get_json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(patient_id)]
    for resource_type in ("ServiceRequest", "Observation", "CarePlan"):
        entries, _ = _all(
            client, reader, f"/fhir/{resource_type}?patient.identifier={codes.PERSONNUMMER}|{number}&_count=3"
        )
        subjects = {e.subject.reference for e in entries}
        assert subjects == {f"Patient/{patient_id}"}, resource_type
        if resource_type == "Observation":
            assert {e.code.coding[0].code for e in entries} >= {"lld"}
            assert sum(1 for e in entries if e.code.coding[0].code == "lld") == expected["Measurement"]
        else:
            assert len(entries) == expected[resource_type]
    # an unknown number finds nothing, and a mistyped parameter is refused rather than ignored
    empty = client.get(
        f"/fhir/CarePlan?patient.identifier={codes.PERSONNUMMER}|191212121212", headers=reader
    ).get_json()
    assert empty["total"] == 0
    refused = client.get("/fhir/CarePlan?patient.identifer=x", headers=reader)
    assert refused.status_code == 400
    assert refused.get_json()["issue"][0]["expression"] == ["patient.identifer"]


def _referral_bundle(identifier: str = "REF-2026-0001", **patient_overrides) -> dict:
    today = local_today()
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": codes.PERSONNUMMER, "value": "20150315-2389"}],
        "name": [{"family": "Lindqvist", "given": ["Saga"]}],
        "gender": "female",
        "birthDate": "2015-03-15",
        **patient_overrides,
    }

    def observation(code, value, unit, days_ago):
        return {
            "fullUrl": f"urn:uuid:obs-{code}-{days_ago}",
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": codes.MEASUREMENT, "code": code}]},
                "subject": {"reference": "urn:uuid:patient-1"},
                "effectiveDateTime": (today - timedelta(days=days_ago)).isoformat(),
                "method": {"coding": [{"system": codes.MEASUREMENT_METHOD, "code": "standing_radiograph"}]},
                "valueQuantity": {"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
            },
            "request": {"method": "POST", "url": "Observation"},
        }

    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:patient-1", "resource": patient, "request": {"method": "POST", "url": "Patient"}},
            {
                "fullUrl": "urn:uuid:request-1",
                "resource": {
                    "resourceType": "ServiceRequest",
                    "identifier": [{"system": "urn:oid:1.2.752.29.4.99.1", "value": identifier}],
                    "status": "active",
                    "intent": "order",
                    "priority": "urgent",
                    "subject": {"reference": "urn:uuid:patient-1"},
                    "requester": {"display": "Dr Anna Berg, Barnkliniken Västerås"},
                    "reasonCode": [{"coding": [{"system": codes.DIAGNOSIS, "code": "fibular_hemimelia"}]}],
                    "bodySite": [{"coding": [{"system": codes.SNOMED, "code": "7771000"}]}],
                    "note": [
                        {"text": "Förlängning eller epifysiodes?"},
                        {"text": "Progressiv skillnad sedan födseln."},
                    ],
                },
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
            observation("lld", 32.0, "mm", 200),
            observation("lld", 38.5, "mm", 20),
            observation("bone-age", 10.5, "a", 20),
            observation("mpta", 84.0, "deg", 20),
        ],
    }


def _audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_a_referral_bundle_posted_twice_creates_one_case(app, client, writer):
    first = client.post("/fhir", json=_referral_bundle(), headers=writer)
    assert first.status_code == 200, first.get_data(as_text=True)
    response = get_fhir_model_class("Bundle").model_validate_json(first.get_data())
    assert response.type == "transaction-response"
    assert response.entry[0].response.status == "201 Created"
    again = client.post("/fhir", json=_referral_bundle(), headers=writer).get_json()
    assert again["entry"][0]["response"]["status"] == "200 OK"
    assert again["entry"][0]["response"]["location"] == response.entry[0].response.location
    with app.app_context():
        (case,) = db.session.scalars(select(Case)).all()
        assert case.patient.national_id == "201503152389" and case.patient.given_name == "Saga"
        assert case.referring_clinician == "Dr Anna Berg, Barnkliniken Västerås"
        assert case.question == "Förlängning eller epifysiodes?"
        assert case.diagnosis == "fibular_hemimelia" and case.side.value == "left" and case.priority.value == "soon"
        assert [(m.lld_mm, m.bone_age_years, m.mpta_deg) for m in case.measurements] == [
            (32.0, None, None),
            (38.5, 10.5, 84.0),
        ]
        assert case.referred_by_id is None
    # the case reads back through the API with the sender's identifier, found by it too
    found = client.get(
        "/fhir/ServiceRequest?identifier=urn:oid:1.2.752.29.4.99.1|REF-2026-0001", headers=writer
    ).get_json()
    assert found["total"] == 1
    identifiers = found["entry"][0]["resource"]["identifier"]
    assert {"system": "urn:oid:1.2.752.29.4.99.1", "value": "REF-2026-0001"} in identifiers
    assert _audit_count(app, "fhir.referral") == 1
    # a second referral for the same patient is a second case of the same patient
    client.post("/fhir", json=_referral_bundle("REF-2026-0002"), headers=writer)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 2
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 1


def test_a_plain_service_request_with_a_contained_patient_is_taken(app, client, writer):
    bundle = _referral_bundle("REF-9")
    request = bundle["entry"][1]["resource"]
    patient = dict(bundle["entry"][0]["resource"], id="p")
    request = dict(request, contained=[patient], subject={"reference": "#p"})
    response = client.post("/fhir/ServiceRequest", json=request, headers=writer)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/fhir/ServiceRequest/{response.get_json()['id']}")
    assert client.post("/fhir/ServiceRequest", json=request, headers=writer).status_code == 200


@pytest.mark.parametrize(
    "change, expression",
    [
        (lambda b: b["entry"][0]["resource"].update(birthDate="2015-13-40"), "birthDate"),
        (
            lambda b: b["entry"][0]["resource"].update(
                identifier=[{"system": codes.PERSONNUMMER, "value": "20150315-2384"}]
            ),
            "Patient.identifier[0].value",
        ),
        (lambda b: b["entry"][1]["resource"].pop("identifier"), "identifier"),
        (lambda b: b["entry"][1]["resource"].pop("requester"), "requester.display"),
        (lambda b: b["entry"][2]["resource"]["code"]["coding"][0].update(code="height"), "Observation[0].code"),
        (
            lambda b: b["entry"][2]["resource"]["valueQuantity"].update(code="cm", unit="cm"),
            "Observation[0].valueQuantity",
        ),
        (lambda b: b["entry"][0]["resource"].pop("name"), "Patient.name.family"),
        (lambda b: b.update(type="batch"), "Bundle.type"),
    ],
)
def test_a_bad_referral_gets_an_operation_outcome_naming_the_field(app, client, writer, change, expression):
    bundle = _referral_bundle()
    change(bundle)
    response = client.post("/fhir", json=bundle, headers=writer)
    assert response.status_code == 400, response.get_data(as_text=True)
    outcome = get_fhir_model_class("OperationOutcome").model_validate_json(response.get_data())
    assert any(expression in where for issue in outcome.issue for where in issue.expression or []), outcome
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_tokens_scopes_and_the_audit_log(app, client, reader, writer):
    calls = 0
    denied = client.post("/fhir", json=_referral_bundle(), headers=reader)
    calls += 1
    assert denied.status_code == 403
    assert denied.get_json()["issue"][0]["code"] == "forbidden"
    for headers in ({}, {"Authorization": "Bearer cfk_not-a-token"}, {"Authorization": "Basic eDp5"}):
        response = client.get("/fhir/Patient", headers=headers)
        calls += 1
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/fhir", json=_referral_bundle(), headers=writer).status_code == 200
    assert client.get("/fhir/Patient", headers=reader).status_code == 200
    calls += 2
    # no session cookie or CSRF token is involved: a browser's session does not open the API
    with app.app_context():
        client_id = db.session.scalar(select(AuditEvent.target_id).where(AuditEvent.action == "api_client.issue"))
        api.revoke_client(api.clients()[-1], db.session.scalar(select(User).where(User.role == Role.admin)))
        db.session.commit()
    assert client.get("/fhir/Patient", headers=reader).status_code == 401
    calls += 1
    assert _audit_count(app, "fhir.call") == calls
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "fhir.call")).all()
        assert [e.target_id for e in events].count(None) == 4  # no token, bad token, basic auth, revoked
        assert client_id is not None
        # what each answer showed of the patient is in the patient's access log: the referral the intake
        # answered with, and the Patient the reader searched
        shown = db.session.execute(
            select(AuditEvent.target_type, AuditEvent.detail).where(
                AuditEvent.action == "fhir.read", AuditEvent.patient_id.is_not(None)
            )
        ).all()
        assert sorted(t for t, _d in shown) == ["case", "patient"]
        assert all("2389" not in (e.detail or "") for e in events)  # no identity number in the log's detail


def test_the_admin_issues_and_revokes_tokens(app, client, signed_in):
    from tests.conftest import post_form

    signed_in("admin")
    page = post_form(client, "/integrations/", {"name": "Cosmic integration", "scopes": [SCOPE_READ]})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    token = text.split('<code class="token">')[1].split("</code>")[0]
    assert token.startswith("cfk_")
    assert client.get("/fhir/Patient", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = client.get("/integrations/").get_data(as_text=True)
    assert token not in listing and token[:10] in listing
    empty = post_form(client, "/integrations/", {"name": ""})
    assert empty.status_code == 400 and "Choose at least one" in empty.get_data(as_text=True)
    with app.app_context():
        client_id = api.clients()[0].id
    post_form(client, f"/integrations/{client_id}/revoke", {}, form_url="/integrations/")
    assert client.get("/fhir/Patient", headers={"Authorization": f"Bearer {token}"}).status_code == 401
