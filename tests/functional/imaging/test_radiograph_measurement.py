"""A measurement made on a radiograph becomes a case measurement with its provenance, and feeds the prediction."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.cases import services as cases
from conference.extensions import db
from conference.imaging import radiograph, synthetic
from conference.imaging.measurements import RadiographMeasurement
from conference.imaging.models import CaseImage, ImageFormat, ImageKind
from conference.people.models import User
from tests.functional.cases.helpers import make_ready_case


def _image(
    case, construction, *, kind=ImageKind.long_leg_ap, spacing=True, magnification=1.1, taken_on=date(2025, 3, 1)
):
    """A stored image's row as the upload would make it (its file is not needed for the measurement)."""
    detector = construction.mm_per_px * magnification
    image = CaseImage(
        case_id=case.id,
        kind=kind,
        taken_on=taken_on,
        format=ImageFormat.dicom,
        content_type="application/dicom",
        sha256="0" * 64,
        size=1,
        rows=construction.height,
        columns=construction.width,
        pixel_spacing_row=detector if spacing else None,
        pixel_spacing_column=detector if spacing else None,
        magnification_factor=magnification if spacing else None,
        window_presets=[],
    )
    db.session.add(image)
    db.session.flush()
    return image


def _as_lists(landmarks):
    return {side: {k: list(v) for k, v in points.items()} for side, points in landmarks.items()}


@pytest.fixture
def measured(app_ctx, make_user):
    user_id, _email = make_user("specialist")
    actor = db.session.get(User, user_id)
    case = make_ready_case(user_id, measurements=0, growth_pattern="developmental")
    construction = synthetic.construct(
        synthetic.LegSpec(), replace(synthetic.LegSpec(), femur_mm=430, mldfa_deg=82.0, jlca_deg=0.0), mm_per_px=0.2
    )
    image = _image(case, construction)
    return actor, case, construction, image


def _measure_by_spacing(image, construction, actor):
    return radiograph.measure_radiograph(
        image,
        landmarks=_as_lists(construction.landmarks),
        calibration=radiograph.CalibrationInput("pixel_spacing"),
        recorded_side="left",
        actor=actor,
    )


def test_measurement_becomes_a_case_measurement_with_its_provenance(measured):
    actor, case, construction, image = measured
    record = _measure_by_spacing(image, construction, actor)
    db.session.commit()
    m = record.measurement
    assert m.case_id == case.id and m.measured_on == date(2025, 3, 1) and m.method.value == "standing_radiograph"
    assert m.lld_mm == pytest.approx(20, abs=0.1) and m.femur_mm == pytest.approx(20, abs=0.1) and m.tibia_mm == 0
    assert (m.long_leg_mm, m.short_leg_mm) == (pytest.approx(820, abs=0.1), pytest.approx(800, abs=0.1))
    assert (m.femur_length_mm, m.tibia_length_mm) == (pytest.approx(450, abs=0.1), pytest.approx(370, abs=0.1))
    assert m.mldfa_deg == pytest.approx(82, abs=0.1) and m.mpta_deg == pytest.approx(87, abs=0.1)
    assert m.mad_mm > 1  # 5 degrees of valgus: the axis passes lateral to the knee
    assert f"image {image.id}" in m.notes
    stored = db.session.scalar(select(RadiographMeasurement))
    assert stored.image_id == image.id and stored.measured_by_id == actor.id and stored.measured_at is not None
    assert stored.calibration["method"] == "pixel_spacing" and stored.calibration["magnification"] == 1.1
    assert stored.landmarks["left"]["hip"] == pytest.approx(list(construction.landmarks["left"]["hip"]))
    left = stored.results["legs"]["left"]
    assert left["mldfa_deg"]["outside"] and left["hka_deg"]["value"] == pytest.approx(-5, abs=0.01)
    assert not stored.results["legs"]["right"]["mldfa_deg"]["outside"]
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == case.patient_id)))
    assert {"image.measure", "case.measurement"} <= actions


def test_it_feeds_the_growth_prediction_like_a_typed_one(measured):
    actor, case, construction, image = measured
    cases.add_measurement(
        case,
        cases.MeasurementInput(
            measured_on=date(2024, 3, 1), method="blocks", lld_mm=14, long_leg_mm=760, short_leg_mm=746
        ),
        actor,
    )
    _measure_by_spacing(image, construction, actor)
    db.session.commit()
    prediction = cases.predict(cases.load_case(case.id))
    assert prediction.method == "developmental" and prediction.available
    assert prediction.measured_on == date(2025, 3, 1)
    # Inhibition from the typed visit to the radiograph: the short leg grew 54 mm while the long one grew 60.
    assert prediction.inhibition == pytest.approx(1 - 54 / 60, abs=0.01)


def test_bad_input_names_the_field_and_saves_nothing(measured):
    actor, case, construction, image = measured
    lm = _as_lists(construction.landmarks)
    calibration = radiograph.CalibrationInput("pixel_spacing")
    without_ankle = {**lm, "right": {k: v for k, v in lm["right"].items() if k != "ankle"}}
    attempts = [
        ({"landmarks": without_ankle, "calibration": calibration, "recorded_side": "left"}, "right_ankle"),
        (
            {
                "landmarks": {**lm, "left": {**lm["left"], "hip": [-5, 10]}},
                "calibration": calibration,
                "recorded_side": "left",
            },
            "left_hip",
        ),
        ({"landmarks": lm, "calibration": calibration, "recorded_side": "both"}, "recorded_side"),
        (
            {
                "landmarks": lm,
                "calibration": radiograph.CalibrationInput("pixel_spacing", magnification=7),
                "recorded_side": "left",
            },
            "magnification",
        ),
        (
            {
                "landmarks": lm,
                "calibration": radiograph.CalibrationInput("marker", marker_a=(1, 1)),
                "recorded_side": "left",
            },
            "marker_a",
        ),
    ]
    for arguments, field in attempts:
        with pytest.raises(radiograph.RadiographError) as raised:
            radiograph.measure_radiograph(image, actor=actor, **arguments)
        assert raised.value.field == field
    photo = _image(case, construction, kind=ImageKind.photo)
    with pytest.raises(radiograph.RadiographError):
        radiograph.measure_radiograph(photo, landmarks=lm, calibration=calibration, recorded_side="left", actor=actor)
    no_spacing = _image(case, construction, spacing=False)
    with pytest.raises(radiograph.RadiographError) as raised:
        radiograph.measure_radiograph(
            no_spacing, landmarks=lm, calibration=calibration, recorded_side="left", actor=actor
        )
    assert raised.value.field == "calibration"
    assert db.session.scalar(select(RadiographMeasurement)) is None and not cases.load_case(case.id).measurements


def test_marker_read_from_the_pixels(measured):
    actor, _case, construction, image = measured
    pixels = synthetic.draw(construction)
    (ax, ay), (bx, by) = construction.marker_edges
    record = radiograph.measure_radiograph(
        image,
        landmarks=_as_lists(construction.landmarks),
        calibration=radiograph.CalibrationInput(
            "marker", marker_a=(ax + 2, ay + 1), marker_b=(bx - 1, by - 2), marker_mm=25
        ),
        recorded_side="left",
        actor=actor,
        pixels=pixels,
    )
    assert record.calibration["read_from_image"] and record.calibration["clicked"][0] == [ax + 2, ay + 1]
    assert record.measurement.femur_length_mm == pytest.approx(450, abs=1.0)
