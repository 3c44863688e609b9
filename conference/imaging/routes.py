"""Routes of a case's images and documents: upload, PACS search and import, the viewer and its renderings, the
original file as a download, removal. Every response is `Cache-Control: no-store` (patient data); every view and
download is an audit event for the patient."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference import policy, transaction
from conference.auth.decorators import clinical_staff_required
from conference.cases import services as cases
from conference.cases.models import Side
from conference.extensions import db
from conference.forms import EmptyForm
from conference.imaging import bp, pacs, services
from conference.imaging.forms import ImageUploadForm, PacsImportForm
from conference.imaging.models import ImageFormat, ImageKind


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _case(case_id: int):
    case = cases.load_case(case_id) or abort(404)
    policy.require(policy.can_see_images(current_user, case))
    return case


def _image(image_id: int):
    image = services.get(image_id) or abort(404)
    policy.require(policy.can_see_images(current_user, image.case))
    return image


def _details(form) -> services.ImageInput:
    reason = form.override_reason.data
    if reason and not policy.can_keep_mismatched_image(current_user):
        reason = None  # only a radiologist or orthopaedic surgeon may keep a mismatched image
    return services.ImageInput(
        kind=ImageKind(form.kind.data),
        taken_on=form.taken_on.data,
        side=Side(form.side.data) if form.side.data else None,
        description=getattr(form, "description", None) and form.description.data,
        override_reason=reason,
    )


def _refused(form, error: services.FileRefused, field) -> int:
    transaction.refuse()
    services.discard_new_files()
    target = form.override_reason if isinstance(error, services.PatientMismatch) else field
    target.errors = list(target.errors) + [str(error.message)]
    return error.status


@bp.route("/case/<int:case_id>/add", methods=["GET", "POST"])
@clinical_staff_required
def add(case_id: int):
    case = _case(case_id)
    policy.require(policy.can_add_image(current_user, case))
    form = ImageUploadForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                incoming = services.receive(form.file.data.stream)
            except services.UploadTooLarge:
                abort(413)
            try:
                image = services.add_file(case, incoming, _details(form), current_user)
                db.session.flush()
            except services.FileRefused as error:
                status = _refused(form, error, form.file)
            except BaseException:
                services.discard_new_files()  # the error handler rolls the rows back; the new files go too
                raise
            else:
                flash(_("Added: %(kind)s.", kind=image.kind.label), "success")
                return redirect(url_for("cases.show", case_id=case.id) + "#images")
    page = render_template(
        "imaging/add.html",
        case=case,
        form=form,
        may_override=policy.can_keep_mismatched_image(current_user),
        pacs_configured=pacs.configured(),
    )
    return _no_store(current_app.make_response((page, status)))


@bp.route("/case/<int:case_id>/pacs", methods=["GET", "POST"])
@clinical_staff_required
def pacs_import(case_id: int):
    """Search the PACS for the patient's studies (GET) and import a chosen series (POST)."""
    case = _case(case_id)
    policy.require(policy.can_add_image(current_user, case))
    if not pacs.configured():
        abort(404)
    form = PacsImportForm()
    status, error_message = 200, None
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                images = services.import_series(
                    case, form.study_uid.data, form.series_uid.data, _details(form), current_user
                )
                db.session.flush()
            except services.FileRefused as error:
                status = _refused(form, error, form.series_uid)
                error_message = str(error.message)
            except pacs.PacsError:
                transaction.refuse()
                services.discard_new_files()
                status, error_message = 502, _("The PACS did not answer as expected. Try again later.")
            except BaseException:
                services.discard_new_files()  # the error handler rolls the rows back; the new files go too
                raise
            else:
                flash(_("Imported %(count)d images from the PACS.", count=len(images)), "success")
                return redirect(url_for("cases.show", case_id=case.id) + "#images")
    try:
        studies = services.search_pacs(case, current_user)
    except pacs.PacsError:
        studies, error_message, status = [], error_message or _("The PACS did not answer. Try again later."), 502
    page = render_template(
        "imaging/pacs.html",
        case=case,
        form=form,
        studies=studies,
        error_message=error_message,
        may_override=policy.can_keep_mismatched_image(current_user),
    )
    return _no_store(current_app.make_response((page, status)))


@bp.route("/<int:image_id>")
@clinical_staff_required
def view(image_id: int):
    """The viewer: pan, zoom, window presets, brightness and contrast, full screen (static/viewer.js)."""
    image = _image(image_id)
    services.record_access(current_user, image, "image.view")
    page = render_template(
        "imaging/view.html",
        image=image,
        case=image.case,
        frozen=services.is_frozen(image),
        may_remove=policy.can_remove_image(current_user, image),
        remove_form=EmptyForm(),
    )
    return _no_store(current_app.make_response(page))


def _preset() -> int:
    text = request.args.get("preset", "0")
    return int(text) if text.isdigit() and len(text) < 3 else -1


@bp.route("/<int:image_id>/manifest")
@clinical_staff_required
def manifest(image_id: int):
    image = _image(image_id)
    if not image.viewable:
        abort(404)
    preset = _preset()
    try:
        described = services.manifest(image, preset)
    except LookupError:
        abort(404)
    body = {
        **described,
        "preset": preset,
        "presets": [
            {
                "label": p.get("label") or f"{p['centre']:g}/{p['width']:g}",
                "url": url_for(".manifest", image_id=image.id, preset=n),
            }
            for n, p in enumerate(image.window_presets or [])
        ],
        "tiles": url_for(".rendering", image_id=image.id, preset=preset, name="TILE").replace(
            "TILE", "{level}/{column}_{row}.jpg"
        ),
        "screen": url_for(".rendering", image_id=image.id, preset=preset, name="screen.png"),
        "invert": image.photometric == "MONOCHROME1",
    }
    return _no_store(jsonify(body))


@bp.route("/<int:image_id>/p<int:preset>/<path:name>")
@clinical_staff_required
def rendering(image_id: int, preset: int, name: str):
    """A rendering (screen.png, thumb.png or a zoom tile): the pages that show them record the access."""
    image = _image(image_id)
    if not image.viewable:
        abort(404)
    parts = name.split("/")
    allowed = name in ("screen.png", "thumb.png") or (
        len(parts) == 2
        and parts[0].isdigit()
        and parts[1].endswith(".jpg")
        and all(p.isdigit() for p in parts[1][:-4].split("_"))
        and parts[1].count("_") == 1
    )
    if not allowed:
        abort(404)
    try:
        path = services.rendering_path(image, preset, name)
    except LookupError:
        abort(404)
    mimetype = "image/jpeg" if name.endswith(".jpg") else "image/png"
    return _no_store(Response(path.read_bytes(), mimetype=mimetype))  # a tile is small


@bp.route("/<int:image_id>/download")
@clinical_staff_required
def download(image_id: int):
    """The file as received, always as a download (a PDF is never shown inline), named by nothing identifying."""
    image = _image(image_id)
    try:
        chunks = services.original_chunks(image)
    except services.StoredFileTampered:
        abort(409)
    except FileNotFoundError:
        abort(404)
    services.record_access(current_user, image, "image.download")
    response = Response(
        chunks,
        mimetype=image.content_type if image.format is not ImageFormat.pdf else "application/pdf",
        headers={
            "Content-Length": str(image.size),
            "Content-Disposition": f"attachment; filename={services.download_name(image)}",
        },
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return _no_store(response)


@bp.route("/<int:image_id>/remove", methods=["POST"])
@clinical_staff_required
def remove(image_id: int):
    image = _image(image_id)
    policy.require(policy.can_remove_image(current_user, image))
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    case_id = image.case_id
    try:
        services.remove(image, current_user)
        db.session.flush()
    except services.ImageFrozen:
        transaction.refuse()
        flash(_("This image was discussed in a signed meeting and stays with its record."), "error")
        return redirect(url_for(".view", image_id=image_id))
    transaction.after_commit(services.purge_removed_files)
    flash(_("Image removed."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#images")
