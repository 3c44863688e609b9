"""Uploading images and documents to a case: DICOM (uncompressed and JPEG, MONOCHROME1 and 2), PNG, JPEG, PDF;
hostile files refused with a clear 4xx and nothing left behind; the wrong patient refused or kept with a reason;
every view and download audited and never cached."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.imaging.models import CaseImage
from conference.imaging.store import image_store
from tests.conftest import csrf_token
from tests.functional.imaging.helpers import (
    counts,
    dicom_bytes,
    dicom_dataset,
    jpeg_bytes,
    jpeg_dicom_bytes,
    patient_of,
    pdf_bytes,
    png_bytes,
)


def upload(client, case_id: int, data: bytes, filename: str = "x.bin", **fields):
    token = csrf_token(client, f"/imaging/case/{case_id}/add")
    form = {"csrf_token": token, "kind": "long_leg_ap", "taken_on": "", "side": "", **fields}
    form["file"] = (io.BytesIO(data), filename)
    return client.post(f"/imaging/case/{case_id}/add", data=form, content_type="multipart/form-data")


def png_of(response) -> Image.Image:
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "no-store"
    return Image.open(io.BytesIO(response.data))


def test_a_dicom_radiograph_is_stored_by_its_hash_rendered_and_audited(app, client, signed_in, case_for):
    user = signed_in("specialist")
    case_id = case_for(user)
    patient = patient_of(app, case_id)
    data = dicom_bytes(patient, rows=1200, columns=200, laterality="L")  # under the test client's 500 kB spool
    response = upload(client, case_id, data, "Testsson_Barn_191212121212.dcm", side="left")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        image = db.session.scalars(select(CaseImage)).one()
        assert (image.rows, image.columns, image.bits_stored, image.photometric) == (1200, 200, 12, "MONOCHROME2")
        assert (image.pixel_spacing_row, image.pixel_spacing_source, image.magnification_factor) == (
            0.15,
            "ImagerPixelSpacing",
            1.08,
        )
        assert image.window_presets[0]["centre"] == 2048 and image.dicom_patient_id == patient.national_id
        import hashlib

        assert image.sha256 == hashlib.sha256(data).hexdigest()
        stored = image_store().file_path(image.sha256)
        assert stored.read_bytes() == data and stored.name == image.sha256  # named by content, nothing else
        image_id = image.id
    summary = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/imaging/{image_id}" in summary and "Standing long-leg AP radiograph" in summary
    manifest = client.get(f"/imaging/{image_id}/manifest").get_json()
    assert manifest["width"] == 200 and manifest["height"] == 1200 and manifest["tile"] == 512
    assert manifest["levels"] == [[200, 1200], [100, 600], [50, 300]]
    screen = png_of(client.get(manifest["screen"]))
    assert max(screen.size) <= app.config["IMAGE_SCREEN_SIZE"]
    tile = png_of(client.get(manifest["tiles"].format(level=0, column=0, row=1)))
    assert tile.size == (200, 512)
    # The legs are bright on the dark background (MONOCHROME2 windowed 2048/4096).
    pixels = np.asarray(tile)
    assert pixels[:, int(200 * 0.35)].mean() > pixels[:, 5].mean() + 60
    assert client.get(f"/imaging/{image_id}").status_code == 200
    download = client.get(f"/imaging/{image_id}/download")
    assert download.status_code == 200 and download.data == data
    download.close()
    assert download.headers["Cache-Control"] == "no-store"
    disposition = download.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=image-{image_id}.dcm"  # nothing identifying goes out
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.patient_id == patient.id).order_by(AuditEvent.id)
        ).all()
    assert {"image.add", "image.view", "image.download"} <= set(actions)


def test_monochrome1_is_inverted_and_a_jpeg_dicom_decodes(app, client, signed_in, case_for):
    user = signed_in("specialist")
    case_id = case_for(user)
    patient = patient_of(app, case_id)
    assert upload(client, case_id, dicom_bytes(patient, photometric="MONOCHROME1")).status_code == 302
    assert upload(client, case_id, jpeg_dicom_bytes(patient)).status_code == 302
    with app.app_context():
        mono1, jpeg = db.session.scalars(select(CaseImage).order_by(CaseImage.id)).all()
        assert mono1.photometric == "MONOCHROME1" and jpeg.transfer_syntax == "1.2.840.10008.1.2.4.50"
    for image in (mono1, jpeg):
        manifest = client.get(f"/imaging/{image.id}/manifest").get_json()
        pixels = np.asarray(png_of(client.get(manifest["screen"])))
        width = pixels.shape[1]
        # Bone is white either way: MONOCHROME1 stores it low and is shown inverted.
        assert pixels[:, int(width * 0.35)].mean() > pixels[:, 2].mean() + 60, image.photometric


def test_pictures_and_pdfs_are_kept_and_a_pdf_is_only_ever_a_download(app, client, signed_in, case_for):
    user = signed_in("coordinator")
    case_id = case_for(user)
    assert upload(client, case_id, png_bytes(), "photo.png", kind="photo").status_code == 302
    assert upload(client, case_id, jpeg_bytes(), "photo.jpg", kind="photo").status_code == 302
    assert upload(client, case_id, pdf_bytes(), "letter.pdf", kind="letter").status_code == 302
    with app.app_context():
        png, jpeg, pdf = db.session.scalars(select(CaseImage).order_by(CaseImage.id)).all()
    assert (png.content_type, jpeg.content_type, pdf.content_type) == ("image/png", "image/jpeg", "application/pdf")
    assert client.get(f"/imaging/{png.id}/manifest").get_json()["width"] == 64
    assert client.get(f"/imaging/{pdf.id}/manifest").status_code == 404
    response = client.get(f"/imaging/{pdf.id}/download")
    assert response.data == pdf_bytes()
    response.close()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["Content-Security-Policy"]


HOSTILE = [
    ("truncated DICOM", lambda p: dicom_bytes(p)[:-500], 422),
    ("DICOM header only", lambda p: dicom_bytes(p)[:400], 422),
    ("DICM magic then garbage", lambda p: b"\0" * 128 + b"DICM" + b"\xff" * 300, 422),
    ("text", lambda p: b"hello, this is not an image", 415),
    ("executable", lambda p: b"MZ\x90\x00" + b"\0" * 200, 415),
    ("truncated PNG", lambda p: png_bytes(400, 400)[:300], 422),
    ("PDF with a script", lambda p: pdf_bytes(script=True), 422),
    ("GIF", lambda p: b"GIF89a" + b"\0" * 50, 415),
]


@pytest.mark.parametrize("name, make, status", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_and_leave_nothing_behind(app, client, signed_in, case_for, name, make, status):
    user = signed_in("specialist")
    case_id = case_for(user)
    before = counts(app)
    response = upload(client, case_id, make(patient_of(app, case_id)), "evil.dcm")
    assert response.status_code == status, name
    assert 'class="error"' in response.get_data(as_text=True)  # the reason, next to the file field
    assert counts(app) == before


def test_a_decompression_bomb_is_refused(app, client, signed_in, case_for):
    user = signed_in("specialist")
    case_id = case_for(user)
    buffer = io.BytesIO()
    Image.new("L", (12_000, 8_000)).save(buffer, "PNG")  # 96 Mpx of zeros: a few hundred kB compressed
    before = counts(app)
    response = upload(client, case_id, buffer.getvalue(), "bomb.png")
    assert response.status_code == 413
    assert "more pixels than this system accepts" in response.get_data(as_text=True)
    assert counts(app) == before
    # A DICOM header claiming 60,000 x 60,000 pixels over a few bytes of pixel data.
    dataset = dicom_dataset(patient_of(app, case_id), rows=10, columns=10)
    dataset.Rows = dataset.Columns = 60000
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    assert upload(client, case_id, buffer.getvalue()).status_code == 413
    assert counts(app) == before


def test_an_upload_over_the_configured_limit_is_413(app, client, signed_in, case_for):
    user = signed_in("specialist")
    case_id = case_for(user)
    limit = app.config["IMAGE_MAX_UPLOAD_BYTES"]
    app.config["IMAGE_MAX_UPLOAD_BYTES"] = 10_000
    try:
        response = upload(client, case_id, b"\0" * 128 + b"DICM" + b"\0" * 20_000)
    finally:
        app.config["IMAGE_MAX_UPLOAD_BYTES"] = limit
    assert response.status_code == 413
    assert counts(app) == (0, [])


def test_a_dicom_of_another_patient_is_refused_unless_kept_with_a_reason(app, client, signed_in, case_for):
    user = signed_in("specialist", "orthopaedic_surgeon")
    case_id = case_for(user)
    patient = patient_of(app, case_id)
    for wrong in (
        {"patient_id": "191212121212"},
        {"patient_name": "Andersson^Olle"},
        {"birth_date": patient.date_of_birth.replace(year=patient.date_of_birth.year - 1)},
        {"patient_id": ""},
    ):
        response = upload(client, case_id, dicom_bytes(patient, **wrong))
        assert response.status_code == 422, wrong
        assert "does not match the case" in response.get_data(as_text=True)
        assert counts(app) == (0, [])
    # The side marker against the side given.
    response = upload(client, case_id, dicom_bytes(patient, laterality="R"), side="left")
    assert response.status_code == 422 and "side marker R" in response.get_data(as_text=True)
    # A 10-digit PatientID and a name without accents still match.
    ten = patient.national_id[2:]
    assert upload(client, case_id, dicom_bytes(patient, patient_id=ten)).status_code == 302
    # Kept with a reason: audited and shown beside the image.
    reason = "Old PACS entry under the reserve number; checked with the radiologist."
    response = upload(client, case_id, dicom_bytes(patient, patient_id="191212121212"), override_reason=reason)
    assert response.status_code == 302
    with app.app_context():
        kept = db.session.scalars(select(CaseImage).where(CaseImage.override_reason.is_not(None))).one()
        assert kept.mismatch == "another identity number"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "image.patient_mismatch_kept")).one()
        assert json.loads(event.detail)["reason"] == reason and event.patient_id == patient.id
    page = client.get(f"/imaging/{kept.id}").get_data(as_text=True)
    assert "did not match the patient" in page and reason in page


def test_only_a_radiologist_or_surgeon_may_keep_a_mismatched_image(app, client, signed_in, case_for):
    user = signed_in("specialist", "physiotherapist")
    case_id = case_for(user)
    patient = patient_of(app, case_id)
    response = upload(
        client, case_id, dicom_bytes(patient, patient_id="191212121212"), override_reason="I am quite sure of it."
    )
    assert response.status_code == 422
    assert counts(app) == (0, [])


def test_images_need_a_clinical_role(app, client, signed_in, make_user, case_for):
    coordinator = signed_in("coordinator")
    case_id = case_for(coordinator)
    assert upload(client, case_id, png_bytes(), kind="photo").status_code == 302
    with app.app_context():
        image_id = db.session.scalar(select(CaseImage.id))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    signed_in("admin")
    for url in (
        f"/imaging/{image_id}",
        f"/imaging/{image_id}/download",
        f"/imaging/{image_id}/manifest",
        f"/imaging/{image_id}/p0/thumb.png",
        f"/imaging/case/{case_id}/add",
    ):
        assert client.get(url).status_code == 403, url


def test_a_stored_file_changed_behind_the_apps_back_is_refused(app, client, signed_in, case_for):
    user = signed_in("specialist")
    case_id = case_for(user)
    assert upload(client, case_id, pdf_bytes(), kind="letter").status_code == 302
    with app.app_context():
        image = db.session.scalars(select(CaseImage)).one()
        path = image_store().file_path(image.sha256)
    path.write_bytes(pdf_bytes().replace(b"Count 0", b"Count 1"))
    assert client.get(f"/imaging/{image.id}/download").status_code == 409
