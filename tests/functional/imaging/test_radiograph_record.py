"""The radiograph measurement in the record: the signed minutes print it with its source and the radiograph with
its axes drawn (python-docx reads them back); the FHIR Observations say they were derived from the image."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from docx import Document
from PIL import Image

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference
from conference.extensions import db
from conference.imaging import radiograph, synthetic
from conference.minutes import services as minutes
from conference.people.models import User
from tests.functional.imaging.test_measure_page import SHOWCASE
from tests.functional.integrations.test_fhir import reader  # noqa: F401
from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases
from tests.functional.meetings.test_meetings import team  # noqa: F401


def measured_meeting(staff):
    coordinator, chair, others = staff
    conference_id, (item_id,) = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
    conference = db.session.get(Conference, conference_id)
    item = db.session.get(AgendaItem, item_id)
    surgeon = db.session.get(User, chair)
    taken = conference.starts_at.date() - timedelta(days=10)
    image = synthetic.attach(item.case, SHOWCASE, surgeon, taken_on=taken)
    landmarks = {side: {k: list(v) for k, v in points.items()} for side, points in SHOWCASE.landmarks.items()}
    record = radiograph.measure_radiograph(
        image,
        landmarks=landmarks,
        calibration=radiograph.CalibrationInput("pixel_spacing"),
        recorded_side="left",
        actor=surgeon,
    )
    db.session.commit()
    return conference_id, item_id, image, record


def test_signed_minutes_print_the_measurement_with_its_source_and_the_picture_with_its_axes(app, team):  # noqa: F811
    coordinator, chair, _others = team
    with app.app_context():
        conference_id, item_id, _image, _record = measured_meeting(team)
        all_present(conference_id, coordinator)
        decide(db.session.get(AgendaItem, item_id), db.session.get(User, coordinator), 3)
        db.session.commit()
        signed = minutes.sign(db.session.get(Conference, conference_id), db.session.get(User, chair))
        db.session.commit()
        payload, surgeon = signed.document, db.session.get(User, chair).name

    document = Document(io.BytesIO(payload))
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    rows = {row[0]: row[1] for row in cells if len(row) == 2}
    source = rows["Measured on the radiograph"]
    assert "Standing long-leg AP radiograph" in source and surgeon in source
    assert "DICOM pixel spacing" in source and "magnification factor 1.1" in source
    assert rows["LLD on the radiograph"] == "20.0 mm, left leg shorter"
    assert rows["mLDFA (°)"] == "right 87.0, left 82.0 (outside 85 to 90)"
    assert rows["HKA (°, + varus, − valgus)"].startswith("right 1.0, left -5.0 (outside")
    assert "Paley" in rows["Normal ranges"]
    assert rows["LLD"].startswith("20 mm (Standing long-leg radiograph")
    # The picture: the radiograph with the mechanical axes drawn in red.
    assert len(document.inline_shapes) == 1
    blob = document.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill.blip.embed
    picture = Image.open(io.BytesIO(document.part.related_parts[blob].blob)).convert("RGB")
    pixels = np.asarray(picture).astype(int)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 100) & (pixels[..., 2] < 100)
    assert red.sum() > picture.height  # two legs' axes, top to bottom
    text = "\n".join(p.text for p in document.paragraphs)
    assert "with the mechanical axes and joint lines" in text


def test_observations_of_a_radiograph_measurement_are_derived_from_its_imaging_study(app, client, team, reader):  # noqa: F811
    from fhir.resources.R4B import get_fhir_model_class

    with app.app_context():
        _conference_id, _item_id, image, record = measured_meeting(team)
        image_id, patient_id, measurement_id = image.id, image.case.patient_id, record.measurement_id
    bundle = client.get(f"/fhir/Observation?patient={patient_id}&_count=100", headers=reader)
    assert bundle.status_code == 200, bundle.get_data(as_text=True)
    parsed = get_fhir_model_class("Bundle").model_validate_json(bundle.get_data())
    observations = [e.resource for e in parsed.entry]
    derived = {o.id: [r.reference for r in o.derivedFrom or []] for o in observations}
    ours = [oid for oid in derived if oid.startswith(f"{measurement_id}-")]
    assert f"{measurement_id}-mldfa" in ours and f"{measurement_id}-lld" in ours
    assert all(derived[oid] == [f"ImagingStudy/{image_id}"] for oid in ours)
    typed = [oid for oid in derived if not oid.startswith(f"{measurement_id}-")]
    assert typed and all(derived[oid] == [] for oid in typed)  # the referral's typed measurements
    one = client.get(f"/fhir/Observation/{measurement_id}-mldfa", headers=reader)
    assert get_fhir_model_class("Observation").model_validate_json(one.get_data()).derivedFrom[0].reference == (
        f"ImagingStudy/{image_id}"
    )
    assert one.get_json()["valueQuantity"]["value"] == 82.0


def test_the_demo_has_one_measured_radiograph_that_agrees_with_the_typed_measurements(app):
    from sqlalchemy import select

    from conference.cases import services as cases
    from conference.imaging.measurements import RadiographMeasurement
    from conference.seed import seed_demo

    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
        record = db.session.scalars(select(RadiographMeasurement)).one()
        case = cases.load_case(record.measurement.case_id)
        typed = [m for m in case.measurements if m.id != record.measurement_id]
        assert record.measurement.lld_mm == typed[-1].lld_mm  # the same day's typed LLD
        assert record.recorded_side == case.side.value and record.calibration["method"] == "pixel_spacing"
        assert record.measurement.mldfa_deg == 83.0 and record.results["legs"][case.side.value]["mldfa_deg"]["outside"]
        prediction = cases.predict(case)
        assert prediction.available and prediction.value_mm == pytest.approx(typed[-1].lld_mm * prediction.multiplier)
        assert radiograph.minutes_picture(record)  # the stored file renders with its axes
