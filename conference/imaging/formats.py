"""Recognising and reading what was uploaded: DICOM (pydicom), PNG/JPEG (Pillow), PDF. A file is recognised by
its bytes, never by its name or the type the browser claims. Anything malformed, truncated, too large in pixels or
of another type raises FileRefused with a message for the clinician and the HTTP status to answer."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from flask_babel import lazy_gettext as _l

from conference.imaging.models import ImageFormat

# What a CR/DX modality sends: uncompressed, JPEG baseline/extended, JPEG lossless, JPEG-LS; all decoded by
# pydicom's pixel-data handlers with pylibjpeg-libjpeg.
UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}
JPEG_SYNTAXES = {
    "1.2.840.10008.1.2.4.50",  # JPEG baseline (8 bit)
    "1.2.840.10008.1.2.4.51",  # JPEG extended (12 bit)
    "1.2.840.10008.1.2.4.57",  # JPEG lossless
    "1.2.840.10008.1.2.4.70",  # JPEG lossless, first-order prediction (SV1): the usual CR/DX lossless
    "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
}
PHOTOMETRIC = {"MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422"}
# Active content a referral letter never needs. Found in the plain bytes only (object streams can hide them),
# which is why every PDF is served as a download, never shown inline.
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData)\b")


class FileRefused(ValueError):
    def __init__(self, message, status: int = 422):
        super().__init__(str(message))
        self.message = message
        self.status = status


@dataclass
class FileInfo:
    """What a file says about itself."""

    format: ImageFormat
    content_type: str
    rows: int | None = None
    columns: int | None = None
    samples: int = 1
    bits_allocated: int | None = None
    bits_stored: int | None = None
    signed: bool = False
    photometric: str | None = None
    pixel_spacing: tuple[float, float] | None = None
    pixel_spacing_source: str | None = None
    magnification_factor: float | None = None
    window_presets: list[dict] = field(default_factory=list)
    rescale: tuple[float, float] = (1.0, 0.0)  # slope, intercept
    modality: str | None = None
    transfer_syntax: str | None = None
    side_marker: str | None = None
    patient_id: str | None = None
    patient_name: str | None = None
    birth_date: date | None = None
    study_uid: str | None = None
    series_uid: str | None = None
    sop_uid: str | None = None
    sop_class_uid: str | None = None
    study_date: date | None = None
    pixel_offset: int | None = None  # uncompressed DICOM: where the pixels start in the file (read by memmap)

    @property
    def compressed(self) -> bool:
        return self.format is ImageFormat.dicom and self.transfer_syntax not in UNCOMPRESSED


def recognise(head: bytes) -> ImageFormat:
    if len(head) >= 132 and head[128:132] == b"DICM":
        return ImageFormat.dicom
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        return ImageFormat.picture
    if head.lstrip(b"\r\n\t ").startswith(b"%PDF-"):
        return ImageFormat.pdf
    raise FileRefused(_l("This is not a DICOM file, PNG or JPEG picture, or PDF document."), 415)


def read_file(path: Path, head: bytes, max_pixels: int) -> FileInfo:
    """Check and describe a received file (raises FileRefused)."""
    kind = recognise(head)
    if kind is ImageFormat.dicom:
        return read_dicom(path, max_pixels)
    if kind is ImageFormat.picture:
        return read_picture(path, max_pixels)
    return read_pdf(path)


def _malformed():
    return FileRefused(_l("The file is damaged or incomplete and cannot be read."))


def _too_many_pixels():
    return FileRefused(_l("The image has more pixels than this system accepts."), 413)


def read_dicom(path: Path, max_pixels: int) -> FileInfo:
    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about every odd value; the checks below decide
            ds = pydicom.dcmread(str(path), defer_size=4096)
            syntax = str(ds.file_meta.TransferSyntaxUID)
            if "PixelData" not in ds:
                raise FileRefused(_l("The DICOM file holds no image."))
            rows, columns = int(ds.Rows), int(ds.Columns)
            bits_allocated, samples = int(ds.BitsAllocated), int(ds.get("SamplesPerPixel", 1))
            bits_stored = int(ds.get("BitsStored", bits_allocated))
            photometric = str(ds.get("PhotometricInterpretation", "")).strip()
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            pixel_element = ds.get_item(0x7FE00010)
            info = FileInfo(
                format=ImageFormat.dicom,
                content_type="application/dicom",
                rows=rows,
                columns=columns,
                samples=samples,
                bits_allocated=bits_allocated,
                bits_stored=bits_stored,
                signed=int(ds.get("PixelRepresentation", 0)) == 1,
                photometric=photometric,
                transfer_syntax=syntax,
                modality=_text(ds.get("Modality"), 16),
                side_marker=_side_marker(ds),
                patient_id=_text(ds.get("PatientID"), 64),
                patient_name=_text(ds.get("PatientName"), 200),
                birth_date=dicom_date(ds.get("PatientBirthDate")),
                study_uid=_text(ds.get("StudyInstanceUID"), 64),
                series_uid=_text(ds.get("SeriesInstanceUID"), 64),
                sop_uid=_text(ds.get("SOPInstanceUID"), 64),
                sop_class_uid=_text(ds.get("SOPClassUID"), 64),
                study_date=dicom_date(ds.get("StudyDate")),
                rescale=(float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0)),
                magnification_factor=_positive(ds.get("EstimatedRadiographicMagnificationFactor")),
            )
            info.pixel_spacing, info.pixel_spacing_source = _spacing(ds)
            info.window_presets = _presets(ds)
    except FileRefused:
        raise
    except Exception as error:
        raise _malformed() from error
    if syntax not in UNCOMPRESSED | JPEG_SYNTAXES:
        raise FileRefused(_l("This DICOM compression is not supported: send it uncompressed or as JPEG."), 415)
    if frames != 1 or samples not in (1, 3) or bits_allocated not in (8, 16) or photometric not in PHOTOMETRIC:
        raise FileRefused(_l("Only single-frame greyscale or colour DICOM images are supported."), 415)
    if samples == 3 and bits_allocated != 8:
        raise FileRefused(_l("Only single-frame greyscale or colour DICOM images are supported."), 415)
    if rows < 1 or columns < 1 or not 1 <= bits_stored <= bits_allocated:
        raise _malformed()
    if rows * columns > max_pixels:
        raise _too_many_pixels()
    if syntax in UNCOMPRESSED:
        expected = rows * columns * samples * bits_allocated // 8
        # A deferred element knows where its value is (file_tell), a small one read raw too (value_tell).
        offset = getattr(pixel_element, "file_tell", None) or getattr(pixel_element, "value_tell", None)
        if getattr(pixel_element, "is_undefined_length", False) or not offset or offset < 4:
            raise _malformed()
        with open(path, "rb") as source:  # the value's length, in the 4 bytes before it (both VR encodings)
            source.seek(offset - 4)
            length = int.from_bytes(source.read(4), "little")
        if length < expected:
            raise _malformed()
        if path.stat().st_size < offset + expected:
            raise _malformed()
        if samples == 3 and int(ds.get("PlanarConfiguration", 0)) != 0:
            raise FileRefused(_l("Only single-frame greyscale or colour DICOM images are supported."), 415)
        info.pixel_offset = offset
    return info


def read_picture(path: Path, max_pixels: int) -> FileInfo:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format not in ("PNG", "JPEG"):
                    raise FileRefused(_l("This is not a DICOM file, PNG or JPEG picture, or PDF document."), 415)
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_many_pixels()
                image.verify()  # structure and (PNG) checksums, without decoding
            with Image.open(path) as image:
                image.load()  # the whole decode, so a truncated picture is refused now, not in the viewer
                mode, fmt = image.mode, image.format
    except FileRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except Exception as error:
        raise _malformed() from error
    return FileInfo(
        format=ImageFormat.picture,
        content_type="image/png" if fmt == "PNG" else "image/jpeg",
        rows=height,
        columns=width,
        samples=1 if mode in ("1", "L", "I", "I;16", "F") else 3,
        bits_stored=16 if mode in ("I", "I;16") else 8,
        photometric=mode,
    )


def read_pdf(path: Path) -> FileInfo:
    with open(path, "rb") as source:
        data = source.read()  # bounded by the upload limit
    if b"%%EOF" not in data[-2048:] or b"obj" not in data:
        raise _malformed()
    if PDF_ACTIVE.search(data):
        raise FileRefused(_l("The PDF contains scripts or embedded programs; save it again as plain PDF/A."))
    return FileInfo(format=ImageFormat.pdf, content_type="application/pdf")


def _text(value, length: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip().replace("\x00", "")
    return text[:length] or None


def dicom_date(value) -> date | None:
    """A DICOM DA value (YYYYMMDD) as a date; None if absent or not a real date."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{8}", text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None


def _positive(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 and np.isfinite(number) else None


def _spacing(ds) -> tuple[tuple[float, float] | None, str | None]:
    """Pixel spacing in mm (row, column): PixelSpacing (calibrated at the patient) or else ImagerPixelSpacing
    (at the detector; divide by the magnification factor for bone size)."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(keyword)
        if value is not None:
            try:
                row, column = (float(v) for v in value)
            except (TypeError, ValueError):
                continue
            if row > 0 and column > 0 and np.isfinite(row) and np.isfinite(column):
                return (row, column), keyword
    return None, None


def _side_marker(ds) -> str | None:
    for keyword in ("ImageLaterality", "Laterality"):
        value = str(ds.get(keyword) or "").strip().upper()
        if value in ("R", "L", "B"):
            return value
    return None


def _presets(ds) -> list[dict]:
    """The window presets the modality wrote (WindowCenter/WindowWidth, with their explanations)."""
    centres, widths = ds.get("WindowCenter"), ds.get("WindowWidth")
    if centres is None or widths is None:
        return []

    def as_list(v):
        return list(v) if isinstance(v, (list, tuple)) or hasattr(v, "__iter__") and not isinstance(v, str) else [v]

    explanations = ds.get("WindowCenterWidthExplanation")
    explanations = as_list(explanations) if explanations is not None else []
    presets = []
    for i, (centre, width) in enumerate(zip(as_list(centres), as_list(widths))):
        try:
            centre, width = float(centre), float(width)
        except (TypeError, ValueError):
            continue
        if width >= 1 and np.isfinite(centre) and np.isfinite(width):
            label = str(explanations[i]).strip()[:60] if i < len(explanations) else ""
            presets.append({"centre": centre, "width": width, "label": label})
    return presets[:8]
