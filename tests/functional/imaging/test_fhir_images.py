"""The FHIR API gives a case's DICOM images as ImagingStudy and its other files as DocumentReference (validated
by fhir.resources), searchable by patient, each file through Binary verified against its SHA-256."""

from __future__ import annotations

import hashlib

from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.cases.models import Case
from conference.extensions import db
from conference.people.models import User
from tests.functional.cases.helpers import make_ready_case
from tests.functional.imaging.helpers import attach, dicom_bytes, pdf_bytes
from tests.functional.integrations.test_fhir import reader  # noqa: F401


def test_imaging_study_and_document_reference_of_a_cases_files(app, client, make_user, reader):  # noqa: F811
    user_id = make_user("coordinator")[0]
    with app.app_context():
        user = db.session.get(User, user_id)
        case = make_ready_case(user_id, 0)
        other = make_ready_case(user_id, 1)
        dicom = dicom_bytes(case.patient, laterality="L")
        study = attach(case, dicom, user, side="left")
        letter = attach(case, pdf_bytes(), user, kind="letter")
        attach(other, dicom_bytes(other.patient), user)
        db.session.commit()
        study_id, letter_id, patient_id, case_id = study.id, letter.id, case.patient_id, case.id
        study_uid, sop_uid = study.study_instance_uid, study.sop_instance_uid

    bundle = client.get(f"/fhir/ImagingStudy?patient={patient_id}", headers=reader)
    assert bundle.status_code == 200, bundle.get_data(as_text=True)
    parsed = get_fhir_model_class("Bundle").model_validate_json(bundle.get_data())
    assert [e.resource.id for e in parsed.entry] == [str(study_id)]
    one = get_fhir_model_class("ImagingStudy").model_validate_json(
        client.get(f"/fhir/ImagingStudy/{study_id}", headers=reader).get_data()
    )
    assert one.subject.reference == f"Patient/{patient_id}" and one.basedOn[0].reference == f"ServiceRequest/{case_id}"
    assert one.identifier[0].value == f"urn:oid:{study_uid}" and one.series[0].instance[0].uid == sop_uid
    assert one.series[0].modality.code == "DX" and one.series[0].laterality.code == "7771000"

    documents = get_fhir_model_class("Bundle").model_validate_json(
        client.get(f"/fhir/DocumentReference?patient={patient_id}", headers=reader).get_data()
    )
    assert [e.resource.id for e in documents.entry] == [f"image-{letter_id}"]
    document = get_fhir_model_class("DocumentReference").model_validate_json(
        client.get(f"/fhir/DocumentReference/image-{letter_id}", headers=reader).get_data()
    )
    attachment = document.content[0].attachment
    assert attachment.contentType == "application/pdf" and attachment.title == f"image-{letter_id}"
    assert document.identifier[0].value == "ni:///sha-256;" + _ni(pdf_bytes())
    binary = client.get(attachment.url.replace("http://127.0.0.1:5000", ""), headers=reader)
    assert binary.status_code == 200 and binary.data == pdf_bytes()
    assert binary.headers["Content-Disposition"].startswith("attachment;")
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.target_type == "case_image", AuditEvent.patient_id == patient_id)
        )
        assert db.session.get(Case, case_id) is not None


def _ni(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")
