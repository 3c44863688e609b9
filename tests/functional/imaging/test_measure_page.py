"""The measuring page: a synthetic long-leg radiograph uploaded as DICOM, its landmarks posted as a plain form
(what the script fills in), the values shown with their flags, saved as a case measurement; bad input answers 400
with the message beside the field and the form filled in."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.cases.models import Measurement
from conference.extensions import db
from conference.imaging import synthetic
from conference.imaging.measurements import RadiographMeasurement
from conference.imaging.models import CaseImage
from tests.conftest import csrf_token
from tests.functional.cases.helpers import make_ready_case
from tests.functional.imaging.test_upload import patient_of

SHOWCASE = synthetic.construct(
    synthetic.LegSpec(), replace(synthetic.LegSpec(), femur_mm=430, mldfa_deg=82.0, jlca_deg=0.0), mm_per_px=0.5
)


def radiograph_dicom(patient, construction=SHOWCASE) -> bytes:
    identity = synthetic.DicomIdentity(
        patient_id=patient.national_id,
        patient_name=f"{patient.family_name}^{patient.given_name}",
        birth_date=patient.date_of_birth,
    )
    return synthetic.to_dicom(construction, synthetic.draw(construction), identity, magnification=1.1)


def landmark_form(construction=SHOWCASE, **extra) -> dict:
    form = {
        f"{side}_{name}": f"{x:.2f}, {y:.2f}"
        for side, points in construction.landmarks.items()
        for name, (x, y) in points.items()
    }
    return {
        "calibration": "pixel_spacing",
        "magnification": "1.1",
        "marker_mm": "25",
        "recorded_side": "left",
        **form,
        **extra,
    }


def upload(client, case_id: int, data: bytes):
    """As test_upload.upload, closing the request body werkzeug spools to a temporary file (over 500 kB it is
    left open, a ResourceWarning)."""
    import io

    from werkzeug.test import EnvironBuilder

    url = f"/imaging/case/{case_id}/add"
    form = {"csrf_token": csrf_token(client, url), "kind": "long_leg_ap", "taken_on": "", "side": ""}
    form["file"] = (io.BytesIO(data), "x.dcm")
    builder = EnvironBuilder(path=url, method="POST", data=form, content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


@pytest.fixture
def uploaded(app, client, signed_in):
    user = signed_in("specialist")  # an orthopaedic surgeon
    with app.app_context():
        case_id = make_ready_case(user).id
        db.session.commit()
    response = upload(client, case_id, radiograph_dicom(patient_of(app, case_id)))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        image_id = db.session.scalar(select(CaseImage.id))
    return case_id, image_id


def post(client, image_id, data):
    url = f"/imaging/{image_id}/measure"
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_values_are_shown_with_their_flags_and_saved_as_a_case_measurement(app, client, uploaded):
    case_id, image_id = uploaded
    page = client.get(f"/imaging/{image_id}/measure")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'src="/static/measure.js"' in html and f"/imaging/{image_id}/p0/screen.png" in html
    preview = post(client, image_id, {**landmark_form(), "action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert re.search(r"LLD: 20\.0 mm", html) and "left leg shorter" in html
    assert re.search(r'<tr class="outside"><td>mLDFA \(°\)</td><td>87\.0</td><td>82\.0 \(outside 85 to 90\)</td>', html)
    with app.app_context():  # showing the values saves nothing
        assert db.session.scalar(select(RadiographMeasurement)) is None
        assert len(db.session.scalars(select(Measurement)).all()) == 1  # the referral's own
    saved = post(client, image_id, {**landmark_form(), "action": "save", "notes": "Standing, patellae forward."})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/cases/{case_id}")
    with app.app_context():
        record = db.session.scalars(select(RadiographMeasurement)).one()
        assert record.image_id == image_id and record.calibration["magnification"] == 1.1
        m = record.measurement
        assert m.lld_mm == pytest.approx(20, abs=0.5) and m.mldfa_deg == pytest.approx(82, abs=0.5)
        assert "Standing, patellae forward." in m.notes
        actions = [a for (a,) in db.session.execute(select(AuditEvent.action).where(AuditEvent.target_id == image_id))]
        assert "image.view" in actions and "image.measure" in actions
    summary = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "20.0 mm" in summary and "82.0" in summary
    assert "Measured on the radiograph" in summary and "82.0 (outside 85 to 90)" in summary
    assert f'href="/imaging/{image_id}/measure"' in summary


def test_marker_calibration_reads_the_ball_from_the_stored_file(app, client, uploaded):
    _case_id, image_id = uploaded
    (ax, ay), (bx, by) = SHOWCASE.marker_edges
    data = landmark_form(
        calibration="marker", marker_a=f"{ax + 1.5:.1f}, {ay - 1:.1f}", marker_b=f"{bx - 2:.1f}, {by + 1:.1f}"
    )
    assert post(client, image_id, {**data, "action": "save"}).status_code == 302
    with app.app_context():
        record = db.session.scalars(select(RadiographMeasurement)).one()
        assert record.calibration["method"] == "marker" and record.calibration["read_from_image"]
        assert record.measurement.femur_length_mm == pytest.approx(450, abs=1.0)
        assert record.measurement.lld_mm == pytest.approx(20, abs=1.0)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"right_ankle": ""}, "right_ankle", "Place ankle centre (plafond) on the right leg."),
        ({"left_hip": "here"}, "left_hip", "Enter the point as two numbers"),
        ({"left_hip": "-4, 10"}, "left_hip", "A landmark lies outside the image."),
        ({"magnification": "9"}, "magnification", "Enter a value from 0.5 to 2"),
        ({"calibration": "marker", "marker_a": "", "marker_b": ""}, "marker_a", "Place both points on the marker"),
        ({"calibration": "marker", "marker_a": "10, 10", "marker_b": "200, 10"}, "marker_a", "No marker was found"),
    ],
)
def test_bad_input_is_a_400_with_the_message_beside_the_field(app, client, uploaded, changes, field, message):
    _case_id, image_id = uploaded
    response = post(client, image_id, {**landmark_form(**changes), "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'id="{field}-error"[^>]*>([^<]*)<', html)
    assert error and message in error.group(1), html[:3000]
    assert 'value="' + landmark_form()["right_hip"] + '"' in html  # the form comes back filled in
    with app.app_context():
        assert db.session.scalar(select(RadiographMeasurement)) is None


def test_only_radiograph_readers_may_measure_and_only_a_long_leg_radiograph(app, client, uploaded, make_user):
    from tests.conftest import login

    _case_id, image_id = uploaded
    with app.app_context():
        image = db.session.get(CaseImage, image_id)
        image.kind = image.kind.__class__("lateral")
        db.session.commit()
    assert client.get(f"/imaging/{image_id}/measure").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    _id, email = make_user("coordinator")
    login(client, email)
    assert client.get(f"/imaging/{image_id}/measure").status_code == 403
