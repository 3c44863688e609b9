"""The hospital's PACS over DICOMweb, against a real Orthanc: search a patient's studies by identity number
(QIDO-RS), import a chosen series (WADO-RS), refuse a series that carries another patient's identity."""

from __future__ import annotations

import re

from pydicom.uid import generate_uid
from sqlalchemy import func, select

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.imaging.models import CaseImage, ImageSource
from conference.imaging.store import image_store
from tests.conftest import csrf_token
from tests.functional.imaging.helpers import counts, dicom_bytes, jpeg_dicom_bytes, patient_of


def _import(client, case_id, study, series, **fields):
    token = csrf_token(client, f"/imaging/case/{case_id}/pacs")
    data = {"csrf_token": token, "study_uid": study, "series_uid": series, "kind": "long_leg_ap", "side": "", **fields}
    return client.post(f"/imaging/case/{case_id}/pacs", data=data)


def test_search_finds_the_patients_studies_by_identity_number_and_imports_a_series(
    app, client, signed_in, case_for, pacs
):
    user = signed_in("specialist")
    case_id = case_for(user)
    other_case = case_for(user, 1)
    patient, other = patient_of(app, case_id), patient_of(app, other_case)
    study, series = generate_uid(), generate_uid()
    pacs.upload(dicom_bytes(patient, study_uid=study, series_uid=series, rows=600, columns=200))
    pacs.upload(jpeg_dicom_bytes(patient, study_uid=study, series_uid=series))
    pacs.upload(dicom_bytes(other))  # another patient's study: never listed for this one

    page = client.get(f"/imaging/case/{case_id}/pacs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert study in text and series in text
    assert len(re.findall(r'name="study_uid"', text)) == 1  # the other patient's study is not there

    response = _import(client, case_id, study, series, side="left")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with app.app_context():
        images = db.session.scalars(select(CaseImage).order_by(CaseImage.id)).all()
        assert len(images) == 2 and {i.source for i in images} == {ImageSource.pacs}
        assert {i.series_instance_uid for i in images} == {series}
        assert {i.transfer_syntax for i in images} == {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50"}
        for image in images:
            assert image_store().file_path(image.sha256).exists()
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "image.pacs_search")
            )
            >= 1
        )
    # The same series again: already there, refused, nothing added.
    assert _import(client, case_id, study, series).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseImage)) == 2
    assert client.get(f"/imaging/{images[1].id}/manifest").status_code == 200


def test_a_series_with_another_patients_name_is_refused(app, client, signed_in, case_for, pacs):
    user = signed_in("specialist")
    case_id = case_for(user)
    patient = patient_of(app, case_id)
    study, series = generate_uid(), generate_uid()
    # Filed under the right identity number, but another child's name and birth date: a wrong-patient error.
    pacs.upload(
        dicom_bytes(
            patient,
            study_uid=study,
            series_uid=series,
            patient_name="Andersson^Olle",
            birth_date=patient.date_of_birth.replace(year=patient.date_of_birth.year - 2),
        )
    )
    response = _import(client, case_id, study, series)
    assert response.status_code == 422
    assert "does not match the case" in response.get_data(as_text=True)
    assert counts(app) == (0, [])


def test_without_a_pacs_configured_uploads_alone_work(app, client, signed_in, case_for):
    user = signed_in("specialist")
    case_id = case_for(user)
    assert app.config["PACS_DICOMWEB_URL"] is None
    assert client.get(f"/imaging/case/{case_id}/pacs").status_code == 404
    assert "Import from the PACS" not in client.get(f"/imaging/case/{case_id}/add").get_data(as_text=True)
