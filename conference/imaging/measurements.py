"""A measurement made on a radiograph: the landmarks the clinician placed, the calibration used and what the
geometry computed from them (geometry.py), kept as the evidence behind the case measurement it became."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.cases.models import Measurement
from conference.db import UTCDateTime, reference, utcnow
from conference.extensions import db
from conference.imaging.models import CaseImage
from conference.people.models import User


class RadiographMeasurement(db.Model):
    """The provenance of a case measurement made on a standing long-leg radiograph: which image, where each
    landmark was placed (image pixels), how the picture was calibrated, who measured and when, and every value
    computed with its normal range (the case measurement holds the ones the prediction and the lists use)."""

    __tablename__ = "radiograph_measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The case measurement it became (one each); goes with it.
    measurement_id: Mapped[int] = mapped_column(reference("measurements.id", part_of=True), unique=True)
    image_id: Mapped[int] = mapped_column(reference("case_images.id"), index=True)
    # {"right": {"hip": [x, y], ...}, "left": {...}} in the original image's pixels.
    landmarks: Mapped[dict] = mapped_column(JSON)
    # geometry.Calibration.as_record(): method, mm per pixel, and the spacing and factor or the marker's points.
    calibration: Mapped[dict] = mapped_column(JSON)
    # geometry.Result.as_record(): every value per side with its range and flag, the LLD and short side.
    results: Mapped[dict] = mapped_column(JSON)
    # The leg whose MAD, mLDFA and MPTA the case measurement carries.
    recorded_side: Mapped[str] = mapped_column(String(10))
    ranges_source: Mapped[str] = mapped_column(String(300))
    measured_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    measurement: Mapped[Measurement] = relationship()
    image: Mapped[CaseImage] = relationship()
    measured_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<RadiographMeasurement {self.id}>"
