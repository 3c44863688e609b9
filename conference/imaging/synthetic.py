"""Synthetic standing AP long-leg radiographs drawn from known landmarks: for testing the geometry and for the demo
(never a real patient). `construct` places the landmarks of both legs from lengths (mm) and angles (degrees) at bone
level; `draw` renders them as a 16-bit picture with a calibration ball; `to_dicom` wraps that in a DICOM file with
ImagerPixelSpacing and EstimatedRadiographicMagnificationFactor, as a CR/DX modality would send it.

Each leg is built in its own anatomical frame (u lateral, v distal, mm), the inverse of what geometry.py measures:
the femoral axis leaves the hip centre inclined medially, the distal femoral joint line is turned from it by mLDFA,
the proximal tibial line from that by JLCA, the tibial axis from that by MPTA, the plafond from the tibial axis by
LDTA, and the trochanter tip from the femoral axis by mLPFA. The HKA angle that follows is mLDFA - MPTA + JLCA.
Both ankles stand on one floor line, so the short leg's hip is the lower one, as in a standing patient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
from PIL import Image, ImageDraw

from conference.imaging.geometry import SIDES, Point, lateral_sign


@dataclass(frozen=True)
class LegSpec:
    """One leg as constructed: lengths at bone level (mm), angles (degrees) with the conventions of geometry.py."""

    femur_mm: float = 450.0
    tibia_mm: float = 370.0
    mlpfa_deg: float = 90.0
    mldfa_deg: float = 87.0
    mpta_deg: float = 87.0
    ldta_deg: float = 89.0
    jlca_deg: float = 1.0
    femoral_inclination_deg: float = 3.0  # the femoral mechanical axis from vertical, the knee medial to the hip
    tibial_shift_mm: float = 0.0  # tibial knee centre lateral of the femoral one (subluxation)
    hip_from_midline_mm: float = 90.0
    knee_width_mm: float = 80.0
    ankle_width_mm: float = 45.0
    trochanter_mm: float = 55.0  # hip centre to trochanter tip

    @property
    def hka_deg(self) -> float:
        return self.mldfa_deg - self.mpta_deg + self.jlca_deg


@dataclass
class Construction:
    """The true landmarks (pixels) and values of a synthetic radiograph."""

    specs: dict[str, LegSpec]
    mm_per_px: float  # at bone level, square pixels
    landmarks: dict[str, dict[str, Point]]  # side -> landmark -> (x, y) pixels
    truth: dict[str, dict[str, float]]  # side -> femur_mm, tibia_mm, total_mm, mad_mm and the angles
    width: int
    height: int
    marker_centre: Point = (0.0, 0.0)
    marker_diameter_mm: float = 25.0
    lld_mm: float = 0.0
    short_side: str | None = None

    @property
    def marker_edges(self) -> tuple[Point, Point]:
        """Two points at opposite ends of the calibration ball's horizontal diameter (pixels)."""
        radius = self.marker_diameter_mm / 2 / self.mm_per_px
        x, y = self.marker_centre
        return (x - radius, y), (x + radius, y)


def _rotate(vector: Point, degrees: float) -> Point:
    """Turn a vector in the (u lateral, v distal) frame; a positive angle turns distal towards medial."""
    a = math.radians(degrees)
    return (vector[0] * math.cos(a) - vector[1] * math.sin(a), vector[0] * math.sin(a) + vector[1] * math.cos(a))


def _along(point: Point, direction: Point, distance: float) -> Point:
    return (point[0] + direction[0] * distance, point[1] + direction[1] * distance)


def _leg(spec: LegSpec) -> dict[str, Point]:
    """Landmarks in the leg's frame (mm), the hip centre at u = its distance from the midline, v = 0."""
    hip = (spec.hip_from_midline_mm, 0.0)
    incline = math.radians(spec.femoral_inclination_deg)
    femoral = (-math.sin(incline), math.cos(incline))
    knee_femur = _along(hip, femoral, spec.femur_mm)
    femur_line = _rotate((-femoral[0], -femoral[1]), spec.mldfa_deg)  # pointing laterally
    tibia_line = _rotate(femur_line, spec.jlca_deg)  # pointing laterally
    tibial = _rotate((-tibia_line[0], -tibia_line[1]), -spec.mpta_deg)  # from the medial direction, turned distal
    knee_tibia = (knee_femur[0] + spec.tibial_shift_mm, knee_femur[1])
    ankle = _along(knee_tibia, tibial, spec.tibia_mm)
    plafond = _rotate((-tibial[0], -tibial[1]), spec.ldta_deg)
    trochanter = _along(hip, _rotate(femoral, -spec.mlpfa_deg), spec.trochanter_mm)
    half_knee, half_ankle = spec.knee_width_mm / 2, spec.ankle_width_mm / 2
    # The joint lines lie a little distal to the knee centre (tangent to the condyles) and proximal to it (plateau).
    femur_joint = _along(knee_femur, femoral, 4.0)
    tibia_joint = _along(knee_tibia, tibial, 8.0)
    return {
        "hip": hip,
        "trochanter": trochanter,
        "knee_femur": knee_femur,
        "knee_tibia": knee_tibia,
        "ankle": ankle,
        "femur_joint_medial": _along(femur_joint, femur_line, -half_knee),
        "femur_joint_lateral": _along(femur_joint, femur_line, half_knee),
        "tibia_joint_medial": _along(tibia_joint, tibia_line, -half_knee),
        "tibia_joint_lateral": _along(tibia_joint, tibia_line, half_knee),
        "plafond_medial": _along(ankle, plafond, -half_ankle),
        "plafond_lateral": _along(ankle, plafond, half_ankle),
    }


def _mad(points: dict[str, Point]) -> float:
    """The knee's distance from the hip-ankle line (the foot of the perpendicular), + lateral of the knee."""
    hip, ankle = points["hip"], points["ankle"]
    knee = tuple((a + b) / 2 for a, b in zip(points["knee_femur"], points["knee_tibia"]))
    axis = (ankle[0] - hip[0], ankle[1] - hip[1])
    t = ((knee[0] - hip[0]) * axis[0] + (knee[1] - hip[1]) * axis[1]) / (axis[0] ** 2 + axis[1] ** 2)
    foot = (hip[0] + t * axis[0], hip[1] + t * axis[1])
    return math.copysign(math.dist(foot, knee), foot[0] - knee[0])


def construct(
    right: LegSpec | None = None,
    left: LegSpec | None = None,
    *,
    mm_per_px: float = 0.15,
    margin_mm: float = 60.0,
    marker_diameter_mm: float = 25.0,
) -> Construction:
    """Both legs' landmarks in image pixels at `mm_per_px` (bone level) and their true values."""
    specs = {"right": right or LegSpec(), "left": left or LegSpec()}
    legs = {side: _leg(spec) for side, spec in specs.items()}
    # Stand both ankles on one floor: each leg's v is shifted so its ankle is at the same height.
    floor = max(points["ankle"][1] for points in legs.values())
    half_width = max(abs(p[0]) for points in legs.values() for p in points.values()) + margin_mm + 40
    top = min(p[1] + floor - points["ankle"][1] for points in legs.values() for p in points.values()) - margin_mm
    landmarks: dict[str, dict[str, Point]] = {}
    truth: dict[str, dict[str, float]] = {}
    for side, points in legs.items():
        sign = lateral_sign(side)
        drop = floor - points["ankle"][1]
        landmarks[side] = {
            name: ((half_width + sign * u) / mm_per_px, (v + drop - top) / mm_per_px) for name, (u, v) in points.items()
        }
        spec = specs[side]
        truth[side] = {
            "femur_mm": spec.femur_mm,
            "tibia_mm": spec.tibia_mm,
            "total_mm": spec.femur_mm + spec.tibia_mm,
            "mlpfa_deg": spec.mlpfa_deg,
            "mldfa_deg": spec.mldfa_deg,
            "mpta_deg": spec.mpta_deg,
            "ldta_deg": spec.ldta_deg,
            "jlca_deg": spec.jlca_deg,
            "hka_deg": spec.hka_deg,
            "mad_mm": _mad(points),
        }
    difference = truth["right"]["total_mm"] - truth["left"]["total_mm"]
    construction = Construction(
        specs=specs,
        mm_per_px=mm_per_px,
        landmarks=landmarks,
        truth=truth,
        width=math.ceil(2 * half_width / mm_per_px),
        height=math.ceil((floor - top + margin_mm + 40) / mm_per_px),
        marker_diameter_mm=marker_diameter_mm,
        lld_mm=abs(difference),
        short_side=None if abs(difference) < 1e-9 else ("right" if difference < 0 else "left"),
    )
    # The ball beside the right knee, outside the leg, at bone level (taped to the skin at the knee's height).
    knee = landmarks["right"]["knee_femur"]
    construction.marker_centre = (max(knee[0] - 110 / mm_per_px, 25 / mm_per_px), knee[1])
    return construction


def perturbed(construction: Construction, pixels: float, seed: int) -> dict[str, dict[str, Point]]:
    """The landmarks as a clinician would place them: each moved by up to `pixels` in x and in y (seeded)."""
    rng = np.random.default_rng(seed)
    return {
        side: {
            name: (x + rng.uniform(-pixels, pixels), y + rng.uniform(-pixels, pixels)) for name, (x, y) in lm.items()
        }
        for side, lm in construction.landmarks.items()
    }


# --- drawing -------------------------------------------------------------------------------------------------


def _band(draw: ImageDraw.ImageDraw, a: Point, b: Point, width_a: float, width_b: float, fill: int) -> None:
    """A tapered bar from a to b (a bone's shaft)."""
    length = math.dist(a, b) or 1.0
    nx, ny = -(b[1] - a[1]) / length, (b[0] - a[0]) / length
    draw.polygon(
        [
            (a[0] + nx * width_a / 2, a[1] + ny * width_a / 2),
            (b[0] + nx * width_b / 2, b[1] + ny * width_b / 2),
            (b[0] - nx * width_b / 2, b[1] - ny * width_b / 2),
            (a[0] - nx * width_a / 2, a[1] - ny * width_a / 2),
        ],
        fill=fill,
    )


def _disc(draw: ImageDraw.ImageDraw, centre: Point, radius: float, fill: int) -> None:
    draw.ellipse([centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius], fill=fill)


def _block(draw: ImageDraw.ImageDraw, a: Point, b: Point, depth: float, towards: Point, fill: int) -> None:
    """A slab with one edge on the line a-b, `depth` pixels deep in the direction `towards` (a joint surface)."""
    length = math.hypot(*towards) or 1.0
    dx, dy = towards[0] / length * depth, towards[1] / length * depth
    draw.polygon([a, b, (b[0] + dx, b[1] + dy), (a[0] + dx, a[1] + dy)], fill=fill)


def draw(construction: Construction) -> np.ndarray:
    """The radiograph as 16-bit pixels (rows x columns, uint16; bright is bone, MONOCHROME2)."""
    scale = 1 / construction.mm_per_px  # pixels per mm
    picture = Image.new("I", (construction.width, construction.height), 6000)
    pen = ImageDraw.Draw(picture)
    soft, bone, cortex, metal = 14000, 30000, 36000, 60000
    for side in SIDES:
        lm = construction.landmarks[side]
        spec = construction.specs[side]
        hip, knee_f, knee_t, ankle = lm["hip"], lm["knee_femur"], lm["knee_tibia"], lm["ankle"]
        # Soft tissue of thigh and leg, then the bones.
        _band(pen, (hip[0], hip[1] - 40 * scale), knee_f, 170 * scale, 110 * scale, soft)
        _band(pen, knee_t, (ankle[0], ankle[1] + 60 * scale), 110 * scale, 70 * scale, soft)
        _disc(pen, hip, 24 * scale, bone)
        _band(pen, hip, lm["trochanter"], 30 * scale, 26 * scale, bone)
        _band(pen, hip, knee_f, 32 * scale, 34 * scale, cortex)
        _block(
            pen,
            lm["femur_joint_medial"],
            lm["femur_joint_lateral"],
            45 * scale,
            (hip[0] - knee_f[0], hip[1] - knee_f[1]),
            bone,
        )
        _block(
            pen,
            lm["tibia_joint_medial"],
            lm["tibia_joint_lateral"],
            40 * scale,
            (ankle[0] - knee_t[0], ankle[1] - knee_t[1]),
            bone,
        )
        _band(pen, knee_t, ankle, 34 * scale, 24 * scale, cortex)
        _block(
            pen,
            lm["plafond_medial"],
            lm["plafond_lateral"],
            20 * scale,
            (knee_t[0] - ankle[0], knee_t[1] - ankle[1]),
            bone,
        )
        _disc(pen, (ankle[0], ankle[1] + 14 * scale), spec.ankle_width_mm / 2.4 * scale, bone)  # talar dome
    pixels = np.asarray(picture, dtype=np.int32).copy()
    # The calibration ball (metal, brightest) at its true size at bone level: every pixel whose centre lies inside
    # (Pillow's ellipse includes its bounding box's last pixel, a pixel too wide for a calibration).
    cx, cy = construction.marker_centre
    radius = construction.marker_diameter_mm / 2 * scale
    rows, columns = np.ogrid[: pixels.shape[0], : pixels.shape[1]]
    top, bottom = max(0, int(cy - radius) - 1), int(cy + radius) + 2
    left, right = max(0, int(cx - radius) - 1), int(cx + radius) + 2
    inside = (columns[:, left:right] - cx) ** 2 + (rows[top:bottom] - cy) ** 2 <= radius**2
    pixels[top:bottom, left:right][inside] = metal
    # A little noise so it looks like a radiograph and the pixels are not flat (seeded: the same every time).
    tile = np.random.default_rng(0).normal(0, 300, (251, 257)).astype(np.int32)
    reps = (-(-pixels.shape[0] // tile.shape[0]), -(-pixels.shape[1] // tile.shape[1]))
    noise = np.tile(tile, reps)[: pixels.shape[0], : pixels.shape[1]]
    return np.clip(pixels + noise, 0, 65535).astype(np.uint16)


def to_png(pixels: np.ndarray) -> bytes:
    """An 8-bit PNG of the pixels (an exported radiograph)."""
    import io

    out = io.BytesIO()
    Image.fromarray((pixels >> 8).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class DicomIdentity:
    patient_id: str = "000000-0000"
    patient_name: str = "Synthetic^Radiograph"
    birth_date: date | None = None
    sex: str = "O"
    study_date: date = field(default_factory=lambda: date(2026, 1, 1))


def to_dicom(
    construction: Construction,
    pixels: np.ndarray,
    identity: DicomIdentity,
    *,
    magnification: float = 1.1,
    laterality: str | None = None,
) -> bytes:
    """A DX "for presentation" DICOM file of the pixels: ImagerPixelSpacing at the detector (the bone-level spacing
    times the magnification) and the EstimatedRadiographicMagnificationFactor, so spacing / factor gives back the
    construction's mm per pixel at bone level."""
    import io

    from pydicom import Dataset
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "DX"
    ds.PatientID = identity.patient_id
    ds.PatientName = identity.patient_name
    ds.PatientBirthDate = identity.birth_date.strftime("%Y%m%d") if identity.birth_date else ""
    ds.PatientSex = identity.sex
    ds.StudyDate = identity.study_date.strftime("%Y%m%d")
    ds.StudyDescription = "Standing long-leg AP (synthetic)"
    ds.SeriesDescription = "Long leg AP"
    ds.BodyPartExamined = "LOWER LIMB"
    ds.ViewPosition = "AP"
    if laterality:
        ds.ImageLaterality = laterality
    detector = construction.mm_per_px * magnification
    ds.ImagerPixelSpacing = [round(detector, 6), round(detector, 6)]
    ds.EstimatedRadiographicMagnificationFactor = magnification
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.WindowCenter = 24000
    ds.WindowWidth = 48000
    ds.PixelData = pixels.astype("<u2").tobytes()
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def showcase(mm_per_px: float = 0.5) -> Construction:
    """The demo's radiograph: a 20 mm shorter left leg (the femur) and 5 degrees of valgus on the left (a low mLDFA)."""
    normal = LegSpec()
    return construct(
        right=normal,
        left=replace(normal, femur_mm=normal.femur_mm - 20, mldfa_deg=82.0, jlca_deg=0.0),
        mm_per_px=mm_per_px,
    )


def attach(case, construction: Construction, actor, *, taken_on: date, magnification: float = 1.1):
    """Add a synthetic radiograph of `case`'s patient to the case as an uploaded DICOM (the demo and the tests);
    returns the CaseImage."""
    import io

    from conference.imaging import services as images
    from conference.imaging.models import ImageKind

    patient = case.patient
    identity = DicomIdentity(
        patient_id=patient.national_id,
        patient_name=f"{patient.family_name}^{patient.given_name}",
        birth_date=patient.date_of_birth,
        study_date=taken_on,
    )
    data = to_dicom(construction, draw(construction), identity, magnification=magnification)
    incoming = images.receive(io.BytesIO(data))
    return images.add_file(
        case, incoming, images.ImageInput(kind=ImageKind.long_leg_ap, taken_on=taken_on, description="Synthetic"), actor
    )
