from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference import policy, transaction
from conference.auth.decorators import clinical_staff_required
from conference.conferences import services as conferences
from conference.documents.pdf import ConversionFailed, docx_to_pdf
from conference.documents.services import DocumentTampered
from conference.forms import EmptyForm
from conference.meetings.forms import AmendForm
from conference.minutes import bp, services
from conference.minutes.document import release_memory
from conference.minutes.services import DOCX


def _conference(conference_id: int):
    return conferences.get_conference(conference_id) or abort(404)


def _docx(payload: bytes, filename: str) -> Response:
    return Response(payload, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/<int:conference_id>/sign", methods=["GET", "POST"])
@clinical_staff_required
def sign(conference_id: int):
    """Signing asks first: the page says who gets the minutes, how many outcome emails go to referrers and which
    cases move to which meeting; only its own form (confirmed=1) signs."""
    conference = _conference(conference_id)
    policy.require(policy.can_sign(current_user, conference))
    form = EmptyForm()
    if request.method == "GET" or request.form.get("confirmed") != "1":
        if request.method == "POST" and not form.validate_on_submit():
            abort(400)
        if services.is_locked(conference):
            return redirect(url_for("meetings.live", conference_id=conference.id) + "#minutes")
        summary = services.sign_summary(conference)
        services.audit.record_shown(
            current_user,
            "minutes.sign_confirm",
            "case",
            [(i.case_id, i.case.patient_id) for i in summary.unreached],
            detail={"conference": conference.id},
        )
        page = render_template(
            "minutes/confirm_sign.html",
            conference=conference,
            summary=summary,
            started=services.meetings.has_started(conference),
            form=form,
        )
        return page
    if not form.validate_on_submit():
        abort(400)
    try:
        signed = services.sign(conference, current_user)
    except (services.MinutesError, services.meetings.MeetingError) as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(url_for("meetings.live", conference_id=conference.id)), 303
    flash(_("Minutes signed (version %(version)d) and sent to the attendees.", version=signed.version), "success")
    response = redirect(url_for("meetings.live", conference_id=conference.id) + "#minutes")
    response.call_on_close(release_memory)  # after the answer has gone: the build's memory back to the system
    return response


@bp.route("/<int:conference_id>/amend", methods=["POST"])
@clinical_staff_required
def amend(conference_id: int):
    conference = _conference(conference_id)
    policy.require(policy.can_amend(current_user, conference))
    form = AmendForm()
    if not form.validate_on_submit():
        flash(_("Say why the minutes are amended."), "error")
        return redirect(url_for("meetings.live", conference_id=conference.id) + "#minutes"), 303
    try:
        amendment = services.amend(conference, current_user, form.reason.data)
    except services.MinutesError as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(url_for("meetings.live", conference_id=conference.id)), 303
    flash(
        _("Version %(version)d opened for changes; the signed version is kept.", version=amendment.version), "success"
    )
    return redirect(url_for("meetings.live", conference_id=conference.id))


def _signed_or_refusal(conference, version: int):
    """(the signed .docx, None), checked against its SHA-256 first; (None, a 409 page) if it was altered (and an
    audit event); 404 if there is no such signed version."""
    try:
        payload = services.signed_document(conference, version)
    except DocumentTampered:
        transaction.refuse()
        services.audit.record_refusal(
            current_user, "minutes.integrity_failure", "conference", conference.id, detail={"version": version}
        )
        page = render_template(
            "errors/error.html",
            code=409,
            title=_("The document does not match its signature"),
            message=_(
                "The stored minutes differ from what was signed, so they are not served. The event is logged; "
                "ask the system administrator to restore the document from the backup."
            ),
        )
        return None, (page, 409)
    if payload is None:
        abort(404)
    return payload, None


@bp.route("/<int:conference_id>/v<int:version>.docx")
@clinical_staff_required
def download(conference_id: int, version: int):
    conference = _conference(conference_id)
    payload, refusal = _signed_or_refusal(conference, version)
    if refusal is not None:
        return refusal
    _audit_download(conference, "minutes.download", {"version": version})
    return _docx(payload, services.filename(conference, version))


@bp.route("/<int:conference_id>/v<int:version>.pdf")
@clinical_staff_required
def download_pdf(conference_id: int, version: int):
    """The signed version as PDF, rendered from the stored signed .docx (its SHA-256 checked first)."""
    conference = _conference(conference_id)
    payload, refusal = _signed_or_refusal(conference, version)
    if refusal is not None:
        return refusal
    pdf = _pdf_or_503(payload)
    if not isinstance(pdf, bytes):
        return pdf
    _audit_download(conference, "minutes.download_pdf", {"version": version})
    return _pdf(pdf, services.filename(conference, version).removesuffix(".docx") + ".pdf")


def _pdf_or_503(docx: bytes):
    try:
        return docx_to_pdf(docx)
    except ConversionFailed:
        current_app.logger.exception("minutes: PDF conversion failed")
        return render_template(
            "errors/error.html",
            code=503,
            title=_("The PDF could not be made"),
            message=_("Download the Word document instead; the administrator can see why in the log."),
        ), 503


def _pdf(payload: bytes, filename: str) -> Response:
    return Response(
        payload, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _audit_download(conference, action: str, detail: dict) -> None:
    """A download names every patient on the list: one access event per patient, and one for the meeting."""
    services.audit.record(current_user, action, "conference", conference.id, detail=detail)
    services.audit.record_shown(
        current_user, action, "case", services.shown_patients(conference), detail={"conference": conference.id}
    )


@bp.route("/<int:conference_id>/draft.docx")
@clinical_staff_required
def draft(conference_id: int):
    conference = _conference(conference_id)
    if services.is_locked(conference):  # a signed meeting serves its signed versions only
        latest = services.current(conference)
        return redirect(url_for("minutes.download", conference_id=conference.id, version=latest.version))
    payload = services.draft_document(conference)
    _audit_download(conference, "minutes.draft_download", {})
    response = _docx(payload, f"mdt-minutes-{conference.starts_at:%Y-%m-%d}-draft.docx")
    response.call_on_close(release_memory)  # after the answer has gone: the build's memory back to the system
    return response
