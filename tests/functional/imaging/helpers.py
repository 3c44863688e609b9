"""Synthetic images for the imaging tests: DICOM written with pydicom and numpy (never a real patient), PNG and
JPEG with Pillow, PDFs by hand."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid
from sqlalchemy import func, select

from conference.extensions import db
from conference.imaging.models import CaseImage
from conference.imaging.store import image_store

DX_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"


def long_leg_pixels(rows: int, columns: int, bits: int = 12) -> np.ndarray:
    """A smooth synthetic 'radiograph': two bright vertical bands (legs) on a dark background, and a gradient."""
    y = np.linspace(0, 1, rows, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, columns, dtype=np.float32)[None, :]
    legs = np.exp(-(((x - 0.35) / 0.06) ** 2)) + np.exp(-(((x - 0.65) / 0.06) ** 2))
    image = 0.15 + 0.6 * legs + 0.1 * y
    return np.clip(image * ((1 << bits) - 1), 0, (1 << bits) - 1).astype(np.uint16)


def dicom_dataset(
    patient,
    *,
    rows: int = 400,
    columns: int = 160,
    photometric: str = "MONOCHROME2",
    laterality: str | None = None,
    study_uid: str | None = None,
    series_uid: str | None = None,
    patient_id: str | None = None,
    patient_name: str | None = None,
    birth_date: date | None = None,
    pixels: np.ndarray | None = None,
    window: tuple[float, float] | None = (2048, 4096),
) -> Dataset:
    """A DX 'long-leg radiograph' of `patient` (16-bit allocated, 12 stored), uncompressed."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = DX_IMAGE_STORAGE
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = DX_IMAGE_STORAGE
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.Modality = "DX"
    ds.StudyDate = "20240115"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.StudyDescription = "Long-leg standing"
    ds.SeriesDescription = "AP standing"
    ds.PatientID = patient_id if patient_id is not None else patient.national_id
    ds.PatientName = patient_name if patient_name is not None else f"{patient.family_name}^{patient.given_name}"
    ds.PatientBirthDate = (birth_date or patient.date_of_birth).strftime("%Y%m%d")
    if laterality:
        ds.ImageLaterality = laterality
    ds.ImagerPixelSpacing = [0.15, 0.15]
    ds.EstimatedRadiographicMagnificationFactor = 1.08
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    array = long_leg_pixels(rows, columns) if pixels is None else pixels
    if photometric == "MONOCHROME1":
        array = (4095 - array).astype(np.uint16)
    ds.PixelData = array.astype("<u2").tobytes()
    return ds


def dicom_bytes(patient, **kwargs) -> bytes:
    buffer = io.BytesIO()
    dicom_dataset(patient, **kwargs).save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def jpeg_dicom_bytes(patient, rows: int = 300, columns: int = 120, **kwargs) -> bytes:
    """The same image as an 8-bit JPEG baseline DICOM (what a CR/DX may send compressed; Pillow encodes)."""
    ds = dicom_dataset(patient, rows=rows, columns=columns, window=(128, 256), **kwargs)
    pixels = (long_leg_pixels(rows, columns, bits=8)).astype(np.uint8)
    frame = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(frame, format="JPEG", quality=95)
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelData = encapsulate([frame.getvalue()])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((np.arange(width * height) % 256).astype(np.uint8).reshape(height, width)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_bytes(script: bool = False) -> bytes:
    action = b"/OpenAction << /S /JavaScript /JS (app.alert('x')) >>" if script else b""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + action + b" >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def attach(case, data: bytes, actor, kind: str = "long_leg_ap", **fields):
    """Attach a file to a case through the service (in an app context; the caller commits)."""
    from conference.imaging import services
    from conference.imaging.models import ImageKind

    incoming = services.receive(io.BytesIO(data))
    return services.add_file(case, incoming, services.ImageInput(kind=ImageKind(kind), **fields), actor)


def patient_of(app, case_id):
    from conference.cases.models import Case

    with app.app_context():
        patient = db.session.get(Case, case_id).patient
        db.session.expunge(patient)
        return patient


def counts(app) -> tuple[int, list]:
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(CaseImage))
        return rows, image_store().files()
