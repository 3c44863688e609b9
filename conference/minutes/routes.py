from flask import Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.auth.decorators import clinical_staff_required
from conference.conferences import services as conferences
from conference.extensions import db
from conference.forms import EmptyForm
from conference.meetings.forms import AmendForm
from conference.minutes import bp, services
from conference.minutes.services import DOCX


def _conference(conference_id: int):
    return conferences.get_conference(conference_id) or abort(404)


def _docx(payload: bytes, filename: str) -> Response:
    return Response(payload, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/<int:conference_id>/sign", methods=["POST"])
@clinical_staff_required
def sign(conference_id: int):
    conference = _conference(conference_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        signed = services.sign(conference, current_user)
    except services.MinutesError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("meetings.live", conference_id=conference.id)), 303
    db.session.commit()
    flash(_("Minutes signed (version %(version)d) and sent to the attendees.", version=signed.version), "success")
    return redirect(url_for("meetings.live", conference_id=conference.id) + "#minutes")


@bp.route("/<int:conference_id>/amend", methods=["POST"])
@clinical_staff_required
def amend(conference_id: int):
    conference = _conference(conference_id)
    form = AmendForm()
    if not form.validate_on_submit():
        flash(_("Say why the minutes are amended."), "error")
        return redirect(url_for("meetings.live", conference_id=conference.id) + "#minutes"), 303
    try:
        amendment = services.amend(conference, current_user, form.reason.data)
    except services.MinutesError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("meetings.live", conference_id=conference.id)), 303
    db.session.commit()
    flash(
        _("Version %(version)d opened for changes; the signed version is kept.", version=amendment.version), "success"
    )
    return redirect(url_for("meetings.live", conference_id=conference.id))


@bp.route("/<int:conference_id>/v<int:version>.docx")
@clinical_staff_required
def download(conference_id: int, version: int):
    conference = _conference(conference_id)
    minutes = services.document_of(conference, version) or abort(404)
    services.audit.record(current_user, "minutes.download", "conference", conference.id, detail={"version": version})
    db.session.commit()
    return _docx(minutes.document, services.filename(conference, version))


@bp.route("/<int:conference_id>/draft.docx")
@clinical_staff_required
def draft(conference_id: int):
    conference = _conference(conference_id)
    payload = services.draft_document(conference)
    services.audit.record(current_user, "minutes.draft_download", "conference", conference.id)
    db.session.commit()
    return _docx(payload, f"mdt-minutes-{conference.starts_at:%Y-%m-%d}-draft.docx")
