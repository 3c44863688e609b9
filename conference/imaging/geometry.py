"""Deformity analysis of a standing AP long-leg radiograph from landmarks (Paley, Principles of Deformity Correction,
2002, ch. 1; Paley and Tetsworth, Clin Orthop 1992;280:48-64; shared/DOMAIN.md).

Pure functions: landmarks in image pixels (x to the right, y down), a calibration in mm per pixel, the normal ranges
as arguments. Each side is measured in its own anatomical frame, u lateral and v distal, so one set of formulas
serves both legs: on an AP image the patient's right is on the image's left (the radiographic convention), so the
right leg's lateral is towards the image's left and the left leg's towards its right.

Angles (DOMAIN.md):
- mLPFA: lateral angle between the femoral mechanical axis and the line femoral head centre -> greater trochanter tip.
- mLDFA: lateral angle between the femoral mechanical axis and the distal femoral joint line.
- MPTA: medial angle between the tibial mechanical axis and the proximal tibial joint line.
- LDTA: lateral angle between the tibial mechanical axis and the distal tibial joint line.
- JLCA: angle between the femoral and tibial joint lines, positive when they converge medially (varus opening).
- HKA: the mechanical tibiofemoral angle between the femoral and tibial mechanical axes, positive varus.
- MAD: distance of the knee centre from the line hip centre -> ankle centre, positive when that line passes lateral
  to the knee (valgus), negative medial (the sign of the typed measurement: + lateral, - medial).
Lengths on the mechanical axes: femur hip -> femoral knee centre, tibia tibial knee centre -> ankle, total their sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SIDES = ("right", "left")

# The landmarks of one leg, in the order a clinician places them (the page asks for them in this order).
LANDMARKS = (
    "hip",
    "trochanter",
    "knee_femur",
    "knee_tibia",
    "ankle",
    "femur_joint_medial",
    "femur_joint_lateral",
    "tibia_joint_medial",
    "tibia_joint_lateral",
    "plafond_medial",
    "plafond_lateral",
)
# Placed where it differs from the femoral knee centre; otherwise the femoral one serves for both.
OPTIONAL_LANDMARKS = frozenset({"knee_tibia"})

SOURCE = (
    "Paley D, Principles of Deformity Correction (Springer 2002), ch. 1; Paley D, Tetsworth K, "
    "Clin Orthop 1992;280:48-64 (shared/DOMAIN.md)"
)


@dataclass(frozen=True)
class NormalRange:
    low: float
    high: float
    mean: float | None = None
    source: str = SOURCE

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


# Paley's normal values (DOMAIN.md); the app reads RADIOGRAPH_NORMAL_RANGES from its configuration, which may
# change any of them (published values differ).
DEFAULT_RANGES: dict[str, NormalRange] = {
    "mlpfa_deg": NormalRange(85.0, 95.0, 90.0),
    "mldfa_deg": NormalRange(85.0, 90.0, 87.0),
    "mpta_deg": NormalRange(85.0, 90.0, 87.0),
    "ldta_deg": NormalRange(86.0, 92.0, 89.0),
    "jlca_deg": NormalRange(0.0, 2.0, 1.0),
    "hka_deg": NormalRange(-0.7, 3.3, 1.3),  # 1.3 +/- 2 deg varus
    "mad_mm": NormalRange(-15.0, -1.0, -8.0),  # 8 +/- 7 mm medial
}


def ranges_from_config(config_value: dict | None) -> dict[str, NormalRange]:
    """The normal ranges with the configured ones over the defaults: {"mpta_deg": {"low": 85, "high": 90,
    "source": "..."}}."""
    ranges = dict(DEFAULT_RANGES)
    for name, value in (config_value or {}).items():
        if name not in DEFAULT_RANGES:
            raise ValueError(f"no normal range is known for {name}")
        if isinstance(value, NormalRange):
            ranges[name] = value
        else:
            ranges[name] = NormalRange(
                float(value["low"]), float(value["high"]), value.get("mean"), value.get("source", SOURCE)
            )
    return ranges


class CalibrationError(ValueError):
    pass


@dataclass(frozen=True)
class Calibration:
    """mm per pixel at bone level, horizontally (x) and vertically (y), and how it was obtained."""

    mm_per_px_x: float
    mm_per_px_y: float
    method: str  # "pixel_spacing" | "marker"
    detail: dict = field(default_factory=dict)

    def as_record(self) -> dict:
        return {"method": self.method, "mm_per_px_x": self.mm_per_px_x, "mm_per_px_y": self.mm_per_px_y, **self.detail}


def calibrate_by_pixel_spacing(row_spacing: float, column_spacing: float, magnification: float) -> Calibration:
    """From the DICOM (Imager)PixelSpacing (mm between rows, mm between columns, at the detector) and the estimated
    radiographic magnification factor (detector size / size at bone level, 0018,1114): bone-level mm per pixel."""
    if not (row_spacing > 0 and column_spacing > 0):
        raise CalibrationError("the pixel spacing must be positive")
    if not (0.5 <= magnification <= 2.0):
        raise CalibrationError("the magnification factor must be between 0.5 and 2")
    return Calibration(
        column_spacing / magnification,
        row_spacing / magnification,
        "pixel_spacing",
        {"row_spacing": row_spacing, "column_spacing": column_spacing, "magnification": magnification},
    )


def calibrate_by_marker(
    edge_a: tuple[float, float], edge_b: tuple[float, float], diameter_mm: float, aspect: float = 1.0
) -> Calibration:
    """From two points at opposite ends of a diameter of a calibration marker of known size at bone level (a 25 mm
    ball). `aspect` is the pixels' height / width (1 for square pixels; the DICOM row / column spacing)."""
    if not diameter_mm > 0:
        raise CalibrationError("the marker's size must be positive")
    dx, dy = edge_b[0] - edge_a[0], (edge_b[1] - edge_a[1]) * aspect
    across = math.hypot(dx, dy)
    if across < 10:
        raise CalibrationError("the marker's two points are too close together (under 10 pixels)")
    mm_per_px = diameter_mm / across
    return Calibration(
        mm_per_px,
        mm_per_px * aspect,
        "marker",
        {"diameter_mm": diameter_mm, "edge_a": list(edge_a), "edge_b": list(edge_b), "across_px": across},
    )


def refine_marker(
    pixels, edge_a: tuple[float, float], edge_b: tuple[float, float], aspect: float = 1.0, bright: bool = True
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The marker's diameter read from the image around the two points the clinician placed on it: a click is a
    pixel or two off, which on a 25 mm ball of about 170 pixels is 1-2% of every length, while the ball's area in
    the picture gives its diameter to a fraction of a pixel. The ball (metal, the brightest thing there) is the
    part of a window around the clicked circle brighter than halfway between the window's border (background)
    and the ball's own level. Returns two points at the ends of its horizontal diameter, through the area's centre.
    `pixels` is the image as an array (rows, columns[, channels]); `bright` False where denser is darker
    (MONOCHROME1)."""
    import numpy as np

    centre_x, centre_y = (edge_a[0] + edge_b[0]) / 2, (edge_a[1] + edge_b[1]) / 2
    radius = math.hypot(edge_b[0] - edge_a[0], (edge_b[1] - edge_a[1]) * aspect) / 2
    half = int(radius * 1.5) + 4
    top, left = max(0, int(centre_y) - half), max(0, int(centre_x) - half)
    window = np.asarray(pixels[top : int(centre_y) + half + 1, left : int(centre_x) + half + 1], dtype=np.float64)
    if window.ndim == 3:
        window = window.mean(axis=2)
    if not bright:
        window = -window
    if window.shape[0] < 8 or window.shape[1] < 8:
        raise CalibrationError("the marker is outside the image")
    border = np.concatenate([window[0], window[-1], window[:, 0], window[:, -1]])
    rows, columns = np.indices(window.shape)
    inside = (columns + left - centre_x) ** 2 + ((rows + top - centre_y) * aspect) ** 2 <= (radius * 0.7) ** 2
    level, background = np.median(window[inside]), np.median(border)
    if level - background < 8 * (np.std(border) + 1):
        raise CalibrationError("no marker stands out of the image where its points were placed")
    ball = window > (level + background) / 2
    area = ball.sum()
    if area == 0 or ball[0].any() or ball[-1].any() or ball[:, 0].any() or ball[:, -1].any():
        raise CalibrationError("the marker's outline could not be found around its points")
    ball_x, ball_y = (columns[ball].mean() + left, rows[ball].mean() + top)
    # An ellipse of width 2r and height 2r / aspect pixels has area pi r^2 / aspect.
    across = 2 * math.sqrt(area * aspect / math.pi)
    return (ball_x - across / 2, ball_y), (ball_x + across / 2, ball_y)


# --- vectors in one leg's anatomical frame (u lateral, v distal, mm) -------------------------------------------

Point = tuple[float, float]


def _sub(a: Point, b: Point) -> Point:
    return (a[0] - b[0], a[1] - b[1])


def _dot(a: Point, b: Point) -> float:
    return a[0] * b[0] + a[1] * b[1]


def _cross(a: Point, b: Point) -> float:
    return a[0] * b[1] - a[1] * b[0]


def _angle(a: Point, b: Point) -> float:
    """The unsigned angle between two directions, degrees."""
    return math.degrees(math.atan2(abs(_cross(a, b)), _dot(a, b)))


def _towards(direction: Point, lateral: bool) -> Point:
    """A line's direction pointed laterally (u > 0) or medially."""
    if (direction[0] > 0) != lateral:
        return (-direction[0], -direction[1])
    return direction


def lateral_sign(side: str, patient_right_on_image_left: bool = True) -> int:
    """Which way lateral is along the image's x axis for a leg: the right leg's lateral is the image's left."""
    if side not in SIDES:
        raise ValueError("side must be right or left")
    sign = -1 if side == "right" else 1
    return sign if patient_right_on_image_left else -sign


@dataclass
class Value:
    """A computed value with its normal range (None for lengths) and whether it lies outside."""

    value: float
    range: NormalRange | None = None

    @property
    def outside(self) -> bool:
        return self.range is not None and not self.range.contains(self.value)


@dataclass
class LegResult:
    side: str
    femur_mm: float | None = None
    tibia_mm: float | None = None
    total_mm: float | None = None
    values: dict[str, Value] = field(default_factory=dict)  # mlpfa_deg, mldfa_deg, mpta_deg, ...

    def get(self, name: str) -> float | None:
        if name in ("femur_mm", "tibia_mm", "total_mm"):
            return getattr(self, name)
        return self.values[name].value if name in self.values else None


@dataclass
class Result:
    legs: dict[str, LegResult]
    calibration: Calibration
    lld_mm: float | None = None  # right total - left total is its sign's source; this is the size
    short_side: str | None = None

    @property
    def long_side(self) -> str | None:
        return None if self.short_side is None else ("left" if self.short_side == "right" else "right")

    def as_record(self) -> dict:
        """JSON-ready: what the conference saw (stored with the measurement)."""
        return {
            "lld_mm": self.lld_mm,
            "short_side": self.short_side,
            "legs": {
                side: {
                    "femur_mm": leg.femur_mm,
                    "tibia_mm": leg.tibia_mm,
                    "total_mm": leg.total_mm,
                    **{
                        name: {"value": v.value, "outside": v.outside, "low": v.range.low, "high": v.range.high}
                        for name, v in leg.values.items()
                    },
                }
                for side, leg in self.legs.items()
            },
        }


ANGLES = ("mlpfa_deg", "mldfa_deg", "mpta_deg", "ldta_deg", "jlca_deg", "hka_deg")
VALUES = ("femur_mm", "tibia_mm", "total_mm", "mad_mm", *ANGLES)


def measure_leg(
    side: str,
    landmarks: dict[str, Point],
    calibration: Calibration,
    ranges: dict[str, NormalRange] | None = None,
    patient_right_on_image_left: bool = True,
) -> LegResult:
    """One leg's lengths and angles from its landmarks (pixels); a value whose landmarks are missing is left out."""
    ranges = ranges or DEFAULT_RANGES
    sign = lateral_sign(side, patient_right_on_image_left)
    # To mm at bone level, then into the leg's frame: u lateral, v distal.
    p = {
        name: (sign * x * calibration.mm_per_px_x, y * calibration.mm_per_px_y)
        for name, (x, y) in landmarks.items()
        if name in LANDMARKS
    }
    if "knee_femur" in p and "knee_tibia" not in p:
        p["knee_tibia"] = p["knee_femur"]
    result = LegResult(side)
    have = p.__contains__

    def put(name: str, value: float) -> None:
        result.values[name] = Value(value, ranges.get(name))

    def line(a: str, b: str) -> Point | None:
        return _sub(p[b], p[a]) if have(a) and have(b) else None

    femoral_axis = line("hip", "knee_femur")  # pointing distally
    tibial_axis = line("knee_tibia", "ankle")
    femoral_joint = line("femur_joint_medial", "femur_joint_lateral")
    tibial_joint = line("tibia_joint_medial", "tibia_joint_lateral")
    plafond = line("plafond_medial", "plafond_lateral")
    if femoral_axis:
        result.femur_mm = math.hypot(*femoral_axis)
    if tibial_axis:
        result.tibia_mm = math.hypot(*tibial_axis)
    if result.femur_mm is not None and result.tibia_mm is not None:
        result.total_mm = result.femur_mm + result.tibia_mm
    if femoral_axis and have("trochanter"):
        put("mlpfa_deg", _angle(femoral_axis, _towards(_sub(p["trochanter"], p["hip"]), lateral=True)))
    if femoral_axis and femoral_joint:
        put("mldfa_deg", _angle((-femoral_axis[0], -femoral_axis[1]), _towards(femoral_joint, lateral=True)))
    if tibial_axis and tibial_joint:
        put("mpta_deg", _angle(tibial_axis, _towards(tibial_joint, lateral=False)))
    if tibial_axis and plafond:
        put("ldta_deg", _angle((-tibial_axis[0], -tibial_axis[1]), _towards(plafond, lateral=True)))
    if femoral_joint and tibial_joint:
        # Each line's tilt, lateral end down positive; the tibial line tilted more converges medially.
        f, t = _towards(femoral_joint, lateral=True), _towards(tibial_joint, lateral=True)
        put("jlca_deg", math.degrees(math.atan2(_cross(f, t), _dot(f, t))))
    if femoral_axis and tibial_axis:
        put("hka_deg", math.degrees(math.atan2(_cross(femoral_axis, tibial_axis), _dot(femoral_axis, tibial_axis))))
    if have("hip") and have("ankle") and have("knee_femur"):
        knee = ((p["knee_femur"][0] + p["knee_tibia"][0]) / 2, (p["knee_femur"][1] + p["knee_tibia"][1]) / 2)
        axis = _sub(p["ankle"], p["hip"])
        # Signed distance of the knee from the axis: positive when the knee lies medial to it (the axis lateral).
        offset = _cross(axis, _sub(knee, p["hip"])) / math.hypot(*axis)
        put("mad_mm", offset)
    return result


def measure(
    landmarks: dict[str, dict[str, Point]],
    calibration: Calibration,
    ranges: dict[str, NormalRange] | None = None,
    patient_right_on_image_left: bool = True,
) -> Result:
    """Both legs (or one) from {"right": {...}, "left": {...}} landmarks in pixels, and the LLD between them."""
    legs = {
        side: measure_leg(side, landmarks[side], calibration, ranges, patient_right_on_image_left)
        for side in SIDES
        if landmarks.get(side)
    }
    result = Result(legs=legs, calibration=calibration)
    right, left = legs.get("right"), legs.get("left")
    if right and left and right.total_mm is not None and left.total_mm is not None:
        difference = right.total_mm - left.total_mm
        result.lld_mm = abs(difference)
        result.short_side = None if difference == 0 else ("right" if difference < 0 else "left")
    return result
