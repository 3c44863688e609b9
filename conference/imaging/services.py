"""Business rules of a case's images and documents: adding a file (checked, identity-matched against the case's
patient, stored by SHA-256, rendered for the viewer), reading one back (verified, audited), removing one (unless a
signed meeting discussed it). Services flush, never commit; the caller commits, and calls `discard_new_files` if it
rolls back instead, so a refused or failed upload leaves nothing in the store."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from conference.agenda.models import AgendaItem
from conference.audit import services as audit
from conference.cases.models import Case, Side
from conference.db import utcnow
from conference.extensions import db
from conference.imaging import render
from conference.imaging.formats import FileInfo, FileRefused, read_file
from conference.imaging.models import CaseImage, ImageFormat, ImageKind, ImageSource
from conference.imaging.store import ImageStore, Incoming, StoredFileTampered, UploadTooLarge, image_store
from conference.meetings.models import MeetingRecord
from conference.people.models import User

__all__ = ["FileRefused", "StoredFileTampered", "UploadTooLarge"]


class PatientMismatch(FileRefused):
    """The file's DICOM identity (or side marker) disagrees with the case: refused unless a reason is given."""

    def __init__(self, problems: list[str]):
        super().__init__(
            _l(
                "This image does not match the case's patient (%(problems)s). Check that it is the right image; "
                "keep it only with a reason.",
                problems=", ".join(problems),
            ),
            422,
        )
        self.problems = problems


class ImageFrozen(ValueError):
    """The image was discussed in a signed meeting: part of its record."""


@dataclass
class ImageInput:
    kind: ImageKind
    taken_on: date | None = None
    side: Side | None = None
    description: str | None = None
    override_reason: str | None = None
    source: ImageSource = ImageSource.upload
    extra: dict = field(default_factory=dict)


# --- identity ----------------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Names compared as a PACS writes them: case, accents (Å -> A), hyphens and spaces do not matter."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _same_identity_number(dicom_id: str, national_id: str) -> bool:
    """A Swedish PACS stores the personnummer as 12 digits, 10 digits or with a hyphen or plus."""
    theirs = re.sub(r"[^0-9A-Za-z]", "", dicom_id).upper()
    ours = re.sub(r"[^0-9A-Za-z]", "", national_id).upper()
    if theirs == ours:
        return True
    return len(theirs) == 10 and len(ours) == 12 and theirs.isdigit() and ours.endswith(theirs)


def _same_name(dicom_name: str, patient) -> bool:
    """DICOM person names are Family^Given^Middle: the family name must match and one given name."""
    parts = dicom_name.split("^")
    family = _fold(parts[0])
    given = {_fold(word) for word in re.split(r"[\s\-]+", " ".join(parts[1:3])) if word}
    ours_given = {_fold(word) for word in re.split(r"[\s\-]+", patient.given_name) if word}
    if family != _fold(patient.family_name):
        return False
    return not given or bool(given & ours_given)


SIDE_MARKERS = {Side.left: "L", Side.right: "R", Side.bilateral: "B"}


def identity_problems(info: FileInfo, case: Case, side: Side | None) -> list[str]:
    """What in the file disagrees with the case: the patient's identity number, name, birth date, and the side
    marker against the side given. A DICOM without a PatientID cannot be checked, which counts as a mismatch."""
    if info.format is not ImageFormat.dicom:
        return []
    patient = case.patient
    problems = []
    if not info.patient_id:
        problems.append(str(_l("no patient ID in the file")))
    elif not _same_identity_number(info.patient_id, patient.national_id):
        problems.append(str(_l("another identity number")))
    if info.patient_name and not _same_name(info.patient_name, patient):
        problems.append(str(_l("another name")))
    if info.birth_date and info.birth_date != patient.date_of_birth:
        problems.append(str(_l("another birth date")))
    if side is not None and info.side_marker and info.side_marker != SIDE_MARKERS[side]:
        problems.append(str(_l("side marker %(marker)s", marker=info.side_marker)))
    return problems


# --- adding ------------------------------------------------------------------------------------------------------


def _new_files() -> list[str]:
    if "imaging_new_files" not in g:
        g.imaging_new_files = []
    return g.imaging_new_files


def receive(stream: BinaryIO) -> Incoming:
    """Take an upload into the store's incoming folder (413 past IMAGE_MAX_UPLOAD_BYTES)."""
    return image_store().receive(stream, current_app.config["IMAGE_MAX_UPLOAD_BYTES"])


def add_file(case: Case, incoming: Incoming, data: ImageInput, actor: User | None) -> CaseImage:
    """Check, keep and render a received file as an image or document of `case`. Raises FileRefused (with the
    status to answer) or PatientMismatch; the received file is gone either way unless it was kept."""
    store = image_store()
    try:
        info = read_file(incoming.path, incoming.head, current_app.config["IMAGE_MAX_PIXELS"])
        problems = identity_problems(info, case, data.side)
        reason = (data.override_reason or "").strip()
        if problems and not reason:
            raise PatientMismatch(problems)
        if info.sop_uid and data.source is ImageSource.pacs and _has_instance(case, info.sop_uid):
            raise FileRefused(_l("This image is already on the case."), 409)
    except BaseException:
        store.discard(incoming)
        raise
    new = store.keep(incoming)
    if new:
        _new_files().append(incoming.sha256)
    presets = []
    if info.format is not ImageFormat.pdf:
        try:
            path = store.file_path(incoming.sha256)
            array = render.open_pixels(path, info, store.derived_dir(incoming.sha256))
            presets = render.presets_for(array, info)
            del array
            _render(store, incoming.sha256, info, presets, 0)
        except Exception as error:
            current_app.logger.warning("image refused: its pixels could not be decoded (%s)", type(error).__name__)
            discard_new_files()
            raise FileRefused(_l("The file is damaged or incomplete and cannot be read.")) from error
    image = CaseImage(
        case_id=case.id,
        kind=data.kind,
        taken_on=data.taken_on or info.study_date or utcnow().date(),
        side=data.side,
        description=(data.description or "").strip()[:200] or None,
        format=info.format,
        content_type=info.content_type,
        sha256=incoming.sha256,
        size=incoming.size,
        rows=info.rows,
        columns=info.columns,
        bits_stored=info.bits_stored,
        photometric=info.photometric,
        pixel_spacing_row=info.pixel_spacing[0] if info.pixel_spacing else None,
        pixel_spacing_column=info.pixel_spacing[1] if info.pixel_spacing else None,
        pixel_spacing_source=info.pixel_spacing_source,
        magnification_factor=info.magnification_factor,
        window_presets=presets,
        modality=info.modality,
        transfer_syntax=info.transfer_syntax,
        side_marker=info.side_marker,
        dicom_patient_id=info.patient_id,
        dicom_patient_name=info.patient_name,
        dicom_birth_date=info.birth_date,
        study_instance_uid=info.study_uid,
        series_instance_uid=info.series_uid,
        sop_instance_uid=info.sop_uid,
        sop_class_uid=info.sop_class_uid,
        study_date=info.study_date,
        mismatch="; ".join(problems)[:300] if problems else None,
        override_reason=reason if problems else None,
        source=data.source,
        added_by_id=actor.id if actor is not None else None,
        added_at=utcnow(),
    )
    db.session.add(image)
    db.session.flush()
    audit.record(
        actor,
        "image.add",
        "case_image",
        image.id,
        patient_id=case.patient_id,
        detail={"case": case.id, "kind": image.kind.value, "format": image.format.value, "source": data.source.value},
    )
    if problems:
        audit.record(
            actor,
            "image.patient_mismatch_kept",
            "case_image",
            image.id,
            patient_id=case.patient_id,
            detail={"case": case.id, "mismatch": image.mismatch, "reason": reason},
        )
    return image


def discard_new_files() -> None:
    """The transaction that added files rolled back: remove the files it put in the store (and their renderings),
    unless another image refers to the same bytes."""
    store = image_store()
    for sha256 in _new_files():
        if not db.session.scalar(select(exists().where(CaseImage.sha256 == sha256))):
            store.remove(sha256)
    _new_files().clear()


def _has_instance(case: Case, sop_uid: str) -> bool:
    return bool(
        db.session.scalar(select(exists().where(CaseImage.case_id == case.id, CaseImage.sop_instance_uid == sop_uid)))
    )


# --- reading -----------------------------------------------------------------------------------------------------


def images_of(case_id: int, limit: int = 50) -> list[CaseImage]:
    """A case's images and documents, newest first (bounded)."""
    return list(
        db.session.scalars(
            select(CaseImage)
            .options(joinedload(CaseImage.added_by))
            .where(CaseImage.case_id == case_id)
            .order_by(CaseImage.taken_on.desc(), CaseImage.id.desc())
            .limit(limit)
        )
    )


def images_of_cases(case_ids: list[int], per_case: int = 12) -> dict[int, list[CaseImage]]:
    """The images and documents of several cases (a meeting's list), newest first, in one query; at most
    `per_case` for each (the printed pack shows a few, the case summary all)."""
    found: dict[int, list[CaseImage]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    rows = db.session.scalars(
        select(CaseImage)
        .options(joinedload(CaseImage.added_by))
        .where(CaseImage.case_id.in_(case_ids))
        .order_by(CaseImage.case_id, CaseImage.taken_on.desc(), CaseImage.id.desc())
    )
    for image in rows:
        if len(found[image.case_id]) < per_case:
            found[image.case_id].append(image)
    return found


def get(image_id: int) -> CaseImage | None:
    return db.session.get(CaseImage, image_id)


def record_access(actor: User, image: CaseImage, action: str) -> None:
    """Every view and download is an audit event for the image's patient, kept whatever the request's outcome."""
    audit.record_shown(actor, action, "case_image", [(image.id, image.case.patient_id)], detail={"case": image.case_id})


def _render(store: ImageStore, sha256: str, info: FileInfo, presets: list[dict], preset: int) -> dict:
    config = current_app.config
    return render.render(
        store.file_path(sha256),
        info,
        store.derived_dir(sha256),
        presets,
        preset,
        tile=config["IMAGE_TILE_SIZE"],
        screen=config["IMAGE_SCREEN_SIZE"],
    )


def manifest(image: CaseImage, preset: int = 0) -> dict:
    """The viewer's description of one rendering (rendered now if it is not cached)."""
    if image.format is ImageFormat.pdf:
        raise ValueError("a PDF has no renderings")
    if not 0 <= preset < max(1, len(image.window_presets or [])):
        raise LookupError(preset)
    store = image_store()
    cached = store.derived_dir(image.sha256) / f"p{preset}" / "manifest.json"
    if cached.exists():
        return json.loads(cached.read_text())
    path = store.file_path(image.sha256)
    with open(path, "rb") as source:
        head = source.read(4096)
    info = read_file(path, head, current_app.config["IMAGE_MAX_PIXELS"])
    return _render(store, image.sha256, info, image.window_presets or [], preset)


def rendering_path(image: CaseImage, preset: int, name: str) -> Path:
    """The file of one rendering: 'screen.png', 'thumb.png' or '<level>/<column>_<row>.jpg'."""
    manifest(image, preset)
    path = image_store().derived_dir(image.sha256) / f"p{preset}" / name
    if not path.is_file():
        raise LookupError(name)
    return path


def open_original(image: CaseImage) -> BinaryIO:
    """The file as received, after checking it still hashes to the SHA-256 stored with the image."""
    return image_store().open_verified(image.sha256)


def original_chunks(image: CaseImage):
    """The file as received, checked against its SHA-256 now, then read in chunks as the answer is sent."""
    store = image_store()
    return store.stream(store.verified_path(image.sha256))


def download_name(image: CaseImage) -> str:
    """A file name with nothing identifying: the image's number and type."""
    extension = {"application/dicom": "dcm", "image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}
    return f"image-{image.id}.{extension.get(image.content_type, 'bin')}"


# --- frozen with a signed meeting ----------------------------------------------------------------------------------


def is_frozen(image: CaseImage) -> bool:
    """Discussed in a signed meeting: a meeting listing the case was locked after the image was added."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    AgendaItem.case_id == image.case_id,
                    MeetingRecord.conference_id == AgendaItem.conference_id,
                    MeetingRecord.locked.is_(True),
                    (MeetingRecord.locked_at.is_(None)) | (MeetingRecord.locked_at >= image.added_at),
                )
            )
        )
    )


def remove(image: CaseImage, actor: User) -> None:
    """Remove an image added by mistake (refused once a signed meeting discussed it: the triggers of migration
    0018 refuse it below the application too). The stored file goes when no other image refers to it."""
    if is_frozen(image):
        raise ImageFrozen(image.id)
    sha256, case = image.sha256, image.case
    audit.record(actor, "image.remove", "case_image", image.id, patient_id=case.patient_id, detail={"case": case.id})
    db.session.delete(image)
    db.session.flush()
    if not db.session.scalar(select(func.count()).select_from(CaseImage).where(CaseImage.sha256 == sha256)):
        g.setdefault("imaging_removed_files", []).append(sha256)


def purge_removed_files() -> None:
    """After the commit that removed images: delete their files from the store."""
    store = image_store()
    for sha256 in g.pop("imaging_removed_files", []):
        if not db.session.scalar(select(exists().where(CaseImage.sha256 == sha256))):
            store.remove(sha256)


# --- the PACS ------------------------------------------------------------------------------------------------------


def search_pacs(case: Case, actor: User):
    """The case's patient's studies in the PACS (by identity number); the search is an access to the patient."""
    from conference.imaging import pacs

    audit.record(actor, "image.pacs_search", "case", case.id, patient_id=case.patient_id)
    return pacs.search_studies(case.patient.national_id)


def import_series(case: Case, study_uid: str, series_uid: str, data: ImageInput, actor: User) -> list[CaseImage]:
    """Import every instance of a PACS series as images of `case`, each checked like an upload (a wrong patient
    refuses the whole series unless a reason is given). Raises pacs.PacsError, FileRefused, PatientMismatch."""
    from conference.imaging import pacs

    uids = pacs.instance_uids(study_uid, series_uid)
    if not uids:
        raise FileRefused(_l("The PACS has no images in this series."), 404)
    if len(uids) > current_app.config["PACS_MAX_INSTANCES"]:
        raise FileRefused(_l("The series has too many images to import whole."), 422)
    images = []
    for uid in uids:
        incoming = pacs.retrieve_instance(study_uid, series_uid, uid, receive)
        details = ImageInput(**{**data.__dict__, "source": ImageSource.pacs})
        image = add_file(case, incoming, details, actor)
        if image.study_instance_uid != study_uid or image.series_instance_uid != series_uid:
            raise FileRefused(_l("The PACS answered with another series."), 502)
        images.append(image)
    return images
