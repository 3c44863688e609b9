"""A case's images and documents. The bytes live in the image store (imaging/store.py), named by their SHA-256;
a row holds what the clinician said about the file (kind, date, side), what the file says about itself (DICOM
identity, geometry, display presets) and how it came (upload or PACS, who, when, an override of a wrong-patient
check with its reason)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.cases.models import Case, Side
from conference.db import UTCDateTime, VersionedMixin, reference, utcnow
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.people.models import User, enum_column


class ImageKind(LabelledEnum):
    long_leg_ap = "long_leg_ap", _l("Standing long-leg AP radiograph")
    lateral = "lateral", _l("Lateral radiograph")
    scanogram = "scanogram", _l("Scanogram")
    eos = "eos", _l("EOS")
    photo = "photo", _l("Clinical photo")
    letter = "letter", _l("Letter")
    report = "report", _l("Report")


RADIOGRAPH_KINDS = frozenset({ImageKind.long_leg_ap, ImageKind.lateral, ImageKind.scanogram, ImageKind.eos})


class ImageFormat(str, enum.Enum):
    """What the stored file is: decides how it is shown (DICOM and pictures in the viewer, PDF as a download)."""

    dicom = "dicom"
    picture = "picture"  # PNG or JPEG
    pdf = "pdf"


class ImageSource(str, enum.Enum):
    upload = "upload"
    pacs = "pacs"


class CaseImage(VersionedMixin, db.Model):
    """One image or document of a case."""

    __tablename__ = "case_images"
    __table_args__ = (Index("ix_case_images_case_taken", "case_id", "taken_on", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(reference("cases.id", part_of=True))
    kind: Mapped[ImageKind] = mapped_column(enum_column(ImageKind, 20))
    taken_on: Mapped[date] = mapped_column(Date)
    side: Mapped[Side | None] = mapped_column(enum_column(Side, 20), nullable=True)
    description: Mapped[str | None] = mapped_column(String(200), nullable=True)

    # The stored file (imaging/store.py): content-addressed, never renamed after what it shows.
    format: Mapped[ImageFormat] = mapped_column(enum_column(ImageFormat, 10))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)

    # Pixel geometry (DICOM and pictures) and display (DICOM).
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    columns: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bits_stored: Mapped[int | None] = mapped_column(Integer, nullable=True)
    photometric: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # mm per pixel (row spacing, column spacing), from PixelSpacing or else ImagerPixelSpacing (at the detector).
    pixel_spacing_row: Mapped[float | None] = mapped_column(Float, nullable=True)
    pixel_spacing_column: Mapped[float | None] = mapped_column(Float, nullable=True)
    pixel_spacing_source: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # EstimatedRadiographicMagnificationFactor (0018,1114): detector size / object size at bone level.
    magnification_factor: Mapped[float | None] = mapped_column(Float, nullable=True)
    # [{"centre": c, "width": w, "label": "..."}], from WindowCenter/WindowWidth(/Explanation); the first is default.
    window_presets: Mapped[list[dict]] = mapped_column(JSON, default=list)
    modality: Mapped[str | None] = mapped_column(String(16), nullable=True)
    transfer_syntax: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The side marker the file carries (ImageLaterality / Laterality: R, L, B), checked against `side`.
    side_marker: Mapped[str | None] = mapped_column(String(2), nullable=True)

    # Who the DICOM says it shows, as it says it: kept to show beside an override and for the record.
    dicom_patient_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dicom_patient_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dicom_birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    study_instance_uid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    series_instance_uid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sop_instance_uid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    sop_class_uid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    study_date: Mapped[date | None] = mapped_column(Date, nullable=True)

    # A mismatch with the case's patient (or side) the clinician kept anyway: what did not match and why kept.
    mismatch: Mapped[str | None] = mapped_column(String(300), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    source: Mapped[ImageSource] = mapped_column(enum_column(ImageSource, 10), default=ImageSource.upload)
    added_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship()
    added_by: Mapped[User | None] = relationship()

    @property
    def viewable(self) -> bool:
        """Shown in the viewer (pictures and DICOM); a PDF is only ever a download."""
        return self.format is not ImageFormat.pdf

    @property
    def is_radiograph(self) -> bool:
        return self.kind in RADIOGRAPH_KINDS

    def __repr__(self) -> str:
        return f"<CaseImage {self.id}>"
