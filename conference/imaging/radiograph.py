"""Measuring a standing long-leg radiograph: calibrate, compute (geometry.py), and keep the result as a case
measurement with its provenance (measurements.RadiographMeasurement). Also the picture of a measurement for the
minutes: the radiograph with its axes and joint lines drawn."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from conference.audit import services as audit
from conference.cases import services as cases
from conference.cases.models import Measurement, MeasurementMethod
from conference.extensions import db
from conference.imaging import geometry
from conference.imaging.measurements import RadiographMeasurement
from conference.imaging.models import CaseImage, ImageFormat, ImageKind
from conference.people.models import User

LANDMARK_LABELS = {
    "hip": _l("Hip centre (femoral head)"),
    "trochanter": _l("Greater trochanter tip"),
    "knee_femur": _l("Knee centre, femur (notch)"),
    "knee_tibia": _l("Knee centre, tibia (spines), if different"),
    "ankle": _l("Ankle centre (plafond)"),
    "femur_joint_medial": _l("Distal femoral joint line, medial condyle"),
    "femur_joint_lateral": _l("Distal femoral joint line, lateral condyle"),
    "tibia_joint_medial": _l("Proximal tibial joint line, medial plateau"),
    "tibia_joint_lateral": _l("Proximal tibial joint line, lateral plateau"),
    "plafond_medial": _l("Distal tibial joint line, medial end"),
    "plafond_lateral": _l("Distal tibial joint line, lateral end"),
}
VALUE_LABELS = {
    "femur_mm": _l("Femur (mm)"),
    "tibia_mm": _l("Tibia (mm)"),
    "total_mm": _l("Total (mm)"),
    "mad_mm": _l("MAD (mm, + lateral, − medial)"),
    "mlpfa_deg": _l("mLPFA (°)"),
    "mldfa_deg": _l("mLDFA (°)"),
    "mpta_deg": _l("MPTA (°)"),
    "ldta_deg": _l("LDTA (°)"),
    "jlca_deg": _l("JLCA (°, + converging medially)"),
    "hka_deg": _l("HKA (°, + varus, − valgus)"),
}
SIDE_NAMES = {"right": _l("Right"), "left": _l("Left")}
CALIBRATION_LABELS = {
    "pixel_spacing": _l("DICOM pixel spacing and magnification factor"),
    "marker": _l("Calibration marker of known size"),
}
# Needed on both legs for the lengths and the LLD; every other landmark is optional (its values are left out).
REQUIRED_LANDMARKS = ("hip", "knee_femur", "ankle")


class RadiographError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class CalibrationInput:
    """What the clinician chose: the DICOM spacing with a magnification factor (None: the one in the file), or two
    points on the diameter of a marker of known size (mm)."""

    method: str
    magnification: float | None = None
    marker_a: geometry.Point | None = None
    marker_b: geometry.Point | None = None
    marker_mm: float | None = 25.0


def measurable(image: CaseImage) -> bool:
    """A standing AP long-leg radiograph shown as a picture can be measured."""
    return image.kind is ImageKind.long_leg_ap and image.format is not ImageFormat.pdf


def ranges() -> dict[str, geometry.NormalRange]:
    return geometry.ranges_from_config(current_app.config.get("RADIOGRAPH_NORMAL_RANGES"))


def ranges_source() -> str:
    """Where the normal ranges in use come from (Paley's unless the unit configured others)."""
    return "; ".join(sorted({r.source for r in ranges().values()}))[:300]


def _aspect(image: CaseImage) -> float:
    if image.pixel_spacing_row and image.pixel_spacing_column:
        return image.pixel_spacing_row / image.pixel_spacing_column
    return 1.0


def image_pixels(image: CaseImage):
    """The stored values of the image (a memory map where the file allows it), for reading a marker's size."""
    from conference.imaging import render
    from conference.imaging.formats import read_file
    from conference.imaging.store import image_store

    store = image_store()
    path = store.file_path(image.sha256)
    with open(path, "rb") as source:
        head = source.read(4096)
    info = read_file(path, head, current_app.config["IMAGE_MAX_PIXELS"])
    return render.open_pixels(path, info, store.derived_dir(image.sha256))


def calibrate(image: CaseImage, data: CalibrationInput, pixels=None) -> geometry.Calibration:
    """The calibration the clinician chose. A marker's diameter is read from the pixels around its two points when
    they are given (a click is a pixel or two off: 1-2% of every length on a 25 mm ball)."""
    if data.method == "pixel_spacing":
        if not (image.pixel_spacing_row and image.pixel_spacing_column):
            raise RadiographError(
                _("This image has no pixel spacing: calibrate it with a marker of known size."), "calibration"
            )
        magnification = data.magnification or image.magnification_factor
        if magnification is None:
            raise RadiographError(
                _("The file gives no magnification factor: enter the estimated one (often 1.05-1.15)."),
                "magnification",
            )
        try:
            return geometry.calibrate_by_pixel_spacing(
                image.pixel_spacing_row, image.pixel_spacing_column, magnification
            )
        except geometry.CalibrationError:
            raise RadiographError(_("The magnification factor must be between 0.5 and 2."), "magnification") from None
    if data.method == "marker":
        if data.marker_a is None or data.marker_b is None:
            raise RadiographError(_("Place both points on the marker's diameter."), "marker_a")
        if not data.marker_mm or data.marker_mm <= 0:
            raise RadiographError(_("Enter the marker's size in millimetres."), "marker_mm")
        a, b = data.marker_a, data.marker_b
        clicked = (a, b)
        if pixels is not None:
            try:
                a, b = geometry.refine_marker(pixels, a, b, _aspect(image), bright=image.photometric != "MONOCHROME1")
            except geometry.CalibrationError:
                raise RadiographError(
                    _("No marker was found between the two points: place them on the edges of the ball."), "marker_a"
                ) from None
        try:
            calibration = geometry.calibrate_by_marker(a, b, data.marker_mm, _aspect(image))
        except geometry.CalibrationError:
            raise RadiographError(_("The marker's two points are too close together."), "marker_a") from None
        calibration.detail["clicked"] = [list(p) for p in clicked]
        calibration.detail["read_from_image"] = pixels is not None
        return calibration
    raise RadiographError(_("Choose how the image is calibrated."), "calibration")


def _check_landmarks(image: CaseImage, landmarks: dict[str, dict[str, geometry.Point]]) -> dict:
    clean: dict[str, dict[str, tuple[float, float]]] = {}
    for side in geometry.SIDES:
        placed = landmarks.get(side) or {}
        clean[side] = {}
        for name, point in placed.items():
            if name not in geometry.LANDMARKS or point is None:
                continue
            x, y = (float(v) for v in point)
            if not (math.isfinite(x) and math.isfinite(y)) or x < 0 or y < 0:
                raise RadiographError(_("A landmark lies outside the image."), f"{side}_{name}")
            if (image.columns and x > image.columns) or (image.rows and y > image.rows):
                raise RadiographError(_("A landmark lies outside the image."), f"{side}_{name}")
            clean[side][name] = (x, y)
        for name in REQUIRED_LANDMARKS:
            if name not in clean[side]:
                raise RadiographError(
                    _(
                        "Place %(landmark)s on the %(side)s leg.",
                        landmark=str(LANDMARK_LABELS[name]).lower(),
                        side=str(SIDE_NAMES[side]).lower(),
                    ),
                    f"{side}_{name}",
                )
    return clean


def compute(
    image: CaseImage, landmarks: dict, calibration: CalibrationInput, pixels=None
) -> tuple[geometry.Result, dict]:
    """The values from the landmarks (image pixels) without saving anything: (result, the landmarks as checked)."""
    if not measurable(image):
        raise RadiographError(_("Only a standing AP long-leg radiograph can be measured."))
    clean = _check_landmarks(image, landmarks)
    return geometry.measure(clean, calibrate(image, calibration, pixels), ranges()), clean


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def measure_radiograph(
    image: CaseImage,
    *,
    landmarks: dict,
    calibration: CalibrationInput,
    recorded_side: str,
    actor: User,
    pixels=None,
    notes: str | None = None,
) -> RadiographMeasurement:
    """Measure a standing AP long-leg radiograph from the landmarks a clinician placed and record the result as a
    measurement of the image's case, dated the day the radiograph was taken, method "standing long-leg radiograph":
    LLD, the femur/tibia discrepancies, both legs' lengths and the long leg's femur and tibia (so it feeds the
    growth prediction like a typed one), and MAD, mLDFA and MPTA of `recorded_side`. Every other value (mLPFA,
    LDTA, JLCA, HKA, both sides) stays with the landmarks and the calibration in a RadiographMeasurement, the
    evidence of where the numbers came from. `pixels` (the image's stored values) lets a marker's size be read from
    the picture. Audited; flushes, never commits. Raises RadiographError (with the field) for bad input."""
    if recorded_side not in geometry.SIDES:
        raise RadiographError(_("Choose the leg whose alignment is recorded."), "recorded_side")
    result, clean = compute(image, landmarks, calibration, pixels)
    if result.lld_mm is None:
        raise RadiographError(_("The LLD needs the hip, knee and ankle centres of both legs."))
    legs = result.legs
    long_leg = legs[result.long_side] if result.short_side else legs["right"]
    short_leg = legs[result.short_side] if result.short_side else legs["left"]
    recorded = legs[recorded_side]

    def discrepancy(name: str) -> float | None:
        difference = getattr(long_leg, name) - getattr(short_leg, name)
        return _round(difference) if difference >= 0 else None

    summary = _(
        "Measured on the standing long-leg radiograph of %(date)s (image %(image)d), calibrated by %(calibration)s; "
        "alignment of the %(side)s leg.",
        date=image.taken_on.isoformat(),
        image=image.id,
        calibration=str(CALIBRATION_LABELS[result.calibration.method]).lower(),
        side=str(SIDE_NAMES[recorded_side]).lower(),
    )
    measurement = cases.add_measurement(
        image.case,
        cases.MeasurementInput(
            measured_on=image.taken_on,
            method="standing_radiograph",
            lld_mm=_round(result.lld_mm),
            femur_mm=discrepancy("femur_mm"),
            tibia_mm=discrepancy("tibia_mm"),
            long_leg_mm=_round(long_leg.total_mm),
            short_leg_mm=_round(short_leg.total_mm),
            femur_length_mm=_round(long_leg.femur_mm),
            tibia_length_mm=_round(long_leg.tibia_mm),
            mad_mm=_round(recorded.get("mad_mm")),
            mldfa_deg=_round(recorded.get("mldfa_deg")),
            mpta_deg=_round(recorded.get("mpta_deg")),
            notes="\n".join(part for part in (summary, (notes or "").strip()) if part),
        ),
        actor,
    )
    record = RadiographMeasurement(
        measurement_id=measurement.id,
        image_id=image.id,
        landmarks={side: {k: list(v) for k, v in points.items()} for side, points in clean.items()},
        calibration=result.calibration.as_record(),
        results=result.as_record(),
        recorded_side=recorded_side,
        ranges_source=ranges_source(),
        measured_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        actor,
        "image.measure",
        "case_image",
        image.id,
        patient_id=image.case.patient_id,
        detail={"case": image.case_id, "measurement": measurement.id, "calibration": result.calibration.method},
    )
    return record


def for_measurements(measurements: Iterable[Measurement]) -> dict[int, RadiographMeasurement]:
    """The radiograph evidence of these case measurements, by measurement id. Only a measurement on a standing
    long-leg radiograph can have one (measure_radiograph records it so): the others are not asked for."""
    measurement_ids = [m.id for m in measurements if m.method == MeasurementMethod.standing_radiograph]
    if not measurement_ids:
        return {}
    rows = db.session.scalars(
        select(RadiographMeasurement)
        .where(RadiographMeasurement.measurement_id.in_(measurement_ids))
        .options(joinedload(RadiographMeasurement.image), joinedload(RadiographMeasurement.measured_by))
    )
    return {row.measurement_id: row for row in rows}


def of_image(image_id: int) -> list[RadiographMeasurement]:
    return list(
        db.session.scalars(
            select(RadiographMeasurement)
            .where(RadiographMeasurement.image_id == image_id)
            .join(Measurement)
            .order_by(RadiographMeasurement.measured_at.desc())
            .options(joinedload(RadiographMeasurement.measured_by))
            .limit(20)
        )
    )


# --- what a measurement says, for the summary and the minutes ---------------------------------------------


def _number(value: float) -> str:
    return f"{value:.1f}"


def describe_source(record: RadiographMeasurement) -> str:
    """Which image, how calibrated, who measured and when: one line."""
    from flask_babel import format_date

    calibration = record.calibration
    if calibration["method"] == "pixel_spacing":
        how = _(
            "DICOM pixel spacing %(spacing)s mm / magnification factor %(factor)s",
            spacing=f"{calibration['row_spacing']:g} x {calibration['column_spacing']:g}",
            factor=f"{calibration['magnification']:g}",
        )
    else:
        how = _(
            "a %(size)s mm marker (%(across).1f pixels across%(read)s)",
            size=f"{calibration['diameter_mm']:g}",
            across=calibration["across_px"],
            read=_(", read from the image") if calibration.get("read_from_image") else "",
        )
    return _(
        "%(kind)s of %(taken)s; calibrated by %(how)s; measured by %(who)s on %(when)s",
        kind=record.image.kind.label,
        taken=format_date(record.image.taken_on, "medium"),
        how=how,
        who=record.measured_by.name if record.measured_by else "–",
        when=format_date(record.measured_at, "medium"),
    )


def value_rows(results: dict) -> list[tuple[str, str, str, bool]]:
    """(label, right, left, any outside) per computed value; a value outside its range is marked and followed by
    the range."""
    legs = results.get("legs", {})
    rows = []
    for name, label in VALUE_LABELS.items():
        cells, outside = [], False
        for side in geometry.SIDES:
            value = legs.get(side, {}).get(name)
            if value is None:
                cells.append("–")
            elif isinstance(value, dict):
                mark = value["outside"]
                outside = outside or mark
                cells.append(
                    _number(value["value"])
                    + (" " + _("(outside %(low)g to %(high)g)", low=value["low"], high=value["high"]) if mark else "")
                )
            else:
                cells.append(_number(value))
        if cells != ["–", "–"]:
            rows.append((str(label), cells[0], cells[1], outside))
    return rows


def describe(record: RadiographMeasurement) -> list[tuple[str, str]]:
    """The measurement as (label, text) lines: its source, LLD, each value right / left with its flags, the
    ranges' source."""
    results = record.results
    lines = [(_("Measured on the radiograph"), describe_source(record))]
    if results.get("lld_mm") is not None:
        short = results.get("short_side")
        lines.append(
            (
                _("LLD on the radiograph"),
                _("%(value).1f mm, %(side)s leg shorter", value=results["lld_mm"], side=str(SIDE_NAMES[short]).lower())
                if short
                else _("%(value).1f mm", value=results["lld_mm"]),
            )
        )
    for label, right, left, _outside in value_rows(results):
        lines.append((label, _("right %(right)s, left %(left)s", right=right, left=left)))
    lines.append((_("Normal ranges"), record.ranges_source))
    return lines


# --- the picture with its axes, for the minutes --------------------------------------------------------------


def minutes_picture(record: RadiographMeasurement) -> bytes | None:
    """The radiograph's screen rendering with the axes drawn, as a PNG; None when it cannot be rendered (a file
    missing from the store prints the values without the picture)."""
    from PIL import Image

    from conference.imaging import services as images

    try:
        path = images.rendering_path(record.image, 0, "screen.png")
        with Image.open(path) as picture:
            picture.load()
            return annotated_thumbnail(picture, record)
    except (LookupError, OSError, ValueError):
        current_app.logger.warning("radiograph picture of measurement %s could not be rendered", record.id)
        return None


AXIS_COLOURS = {"mechanical": (255, 64, 64), "femur": (255, 200, 0), "tibia": (0, 200, 255), "joint": (80, 255, 80)}


def annotated_thumbnail(picture, record: RadiographMeasurement, *, height: int = 900) -> bytes:
    """A PNG of the radiograph (a PIL image of the whole picture, any size) with the mechanical axes, the limb's
    mechanical axis and the joint lines drawn where the landmarks were placed."""
    from PIL import Image, ImageDraw

    # The landmarks are in the original's pixels; `picture` may be a smaller rendering of it.
    rows, columns = record.image.rows or picture.height, record.image.columns or picture.width
    scale_x = scale_y = height / rows
    width = max(1, round(columns * scale_x))
    canvas = picture.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    pen = ImageDraw.Draw(canvas)
    line = max(2, height // 300)

    def at(point) -> tuple[float, float]:
        return (point[0] * scale_x, point[1] * scale_y)

    for points in record.landmarks.values():
        p = {name: at(xy) for name, xy in points.items()}
        knee_tibia = p.get("knee_tibia", p.get("knee_femur"))
        segments = [
            ("mechanical", "hip", "ankle", p),
            ("femur", "hip", "knee_femur", p),
            ("tibia", None, "ankle", {**p, None: knee_tibia}),
            ("joint", "femur_joint_medial", "femur_joint_lateral", p),
            ("joint", "tibia_joint_medial", "tibia_joint_lateral", p),
            ("joint", "plafond_medial", "plafond_lateral", p),
            ("femur", "hip", "trochanter", p),
        ]
        for colour, a, b, table in segments:
            if table.get(a) and table.get(b):
                pen.line([table[a], table[b]], fill=AXIS_COLOURS[colour], width=line)
        for point in p.values():
            pen.ellipse(
                [point[0] - line * 1.5, point[1] - line * 1.5, point[0] + line * 1.5, point[1] + line * 1.5],
                outline=(255, 255, 255),
                width=1,
            )
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()
