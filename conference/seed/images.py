"""Demo images: synthetic standing long-leg radiographs (never a real patient) and a referral letter on the cases
listed for the next conference, the same bytes at every seed."""

from __future__ import annotations

from sqlalchemy import select

from conference.db import local_today
from conference.extensions import db
from conference.people.models import User


def seed_images(staff: dict[str, User]) -> None:
    """Synthetic standing long-leg radiographs (drawn by imaging.synthetic, never a real patient) on the cases listed
    for the next conference, and a referral letter on the first: the same bytes at every seed (fixed UIDs)."""
    import io
    from dataclasses import replace

    import pydicom
    from pydicom.uid import generate_uid

    from conference.agenda.models import AgendaItem
    from conference.cases.models import Case, Side
    from conference.imaging import services as imaging
    from conference.imaging import synthetic
    from conference.imaging.models import ImageKind

    actor = staff["ortoped2@example-hospital.se"]  # the referring surgeon brings the radiographs
    listed = db.session.scalars(
        select(Case).where(Case.id.in_(select(AgendaItem.case_id))).order_by(Case.id).limit(2)
    ).all()
    for number, case in enumerate(listed):
        short = case.side.value if case.side and case.side.value in ("left", "right") else "left"
        normal = synthetic.LegSpec()
        latest = case.measurements[-1] if case.measurements else None
        if case.patient.age_on(local_today()) < 12:  # a child's legs (about 6-11 years)
            normal = replace(
                normal, femur_mm=300, tibia_mm=245, knee_width_mm=62, ankle_width_mm=34, hip_from_midline_mm=65
            )
        # The radiograph agrees with the typed measurement of the same day: it is measured below (the first case).
        shortening = latest.lld_mm if latest is not None else 15 + 10 * number
        shorter = replace(normal, femur_mm=normal.femur_mm - shortening, mldfa_deg=83.0 + number)
        construction = synthetic.construct(
            right=shorter if short == "right" else normal, left=shorter if short == "left" else normal, mm_per_px=1.0
        )
        taken = case.measurements[-1].measured_on if case.measurements else local_today()
        identity = synthetic.DicomIdentity(
            patient_id=case.patient.national_id,
            patient_name=f"{case.patient.family_name}^{case.patient.given_name}",
            birth_date=case.patient.date_of_birth,
            sex={"female": "F", "male": "M"}.get(case.patient.sex.value, "O"),
            study_date=taken,
        )
        data = synthetic.to_dicom(construction, synthetic.draw(construction), identity, laterality="B")
        dataset = pydicom.dcmread(io.BytesIO(data))
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            setattr(dataset, keyword, generate_uid(entropy_srcs=["conference-demo", str(case.id), keyword]))
        dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
        out = io.BytesIO()
        dataset.save_as(out, enforce_file_format=True)
        image = imaging.add_file(
            case,
            imaging.receive(io.BytesIO(out.getvalue())),
            imaging.ImageInput(kind=ImageKind.long_leg_ap, taken_on=taken, side=Side.bilateral),
            actor,
        )
        if number == 0:
            seed_radiograph_measurement(image, construction, actor, short)
            imaging.add_file(
                case,
                imaging.receive(io.BytesIO(_demo_letter())),
                imaging.ImageInput(kind=ImageKind.letter, taken_on=taken, description="Remiss"),
                actor,
            )


def seed_radiograph_measurement(image, construction, actor: User, side: str) -> None:
    """The demo's measured radiograph: the landmarks where they were drawn (a clinician's clicks would be a pixel or
    two off), calibrated by the DICOM pixel spacing and magnification factor."""
    from conference.imaging import radiograph

    radiograph.measure_radiograph(
        image,
        landmarks={s: {k: list(v) for k, v in points.items()} for s, points in construction.landmarks.items()},
        calibration=radiograph.CalibrationInput("pixel_spacing"),
        recorded_side=side,
        actor=actor,
        notes="Synthetic demo radiograph, never a real patient.",
    )


def _demo_letter() -> bytes:
    """A one-page referral letter as a plain PDF (no scripts), written by hand: no PDF library needed."""
    text = b"BT /F1 14 Tf 72 760 Td (Remiss: benlangdsskillnad, fraga om behandling. Syntetiskt demodokument.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
