from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.audit import services as audit
from conference.auth.decorators import outbox_staff_required
from conference.extensions import db
from conference.forms import EmptyForm
from conference.notifications import bp, services
from conference.notifications.models import EMAIL_STATUS_LABELS, EmailStatus, OutboundEmail

outbox_staff = outbox_staff_required


@bp.route("/")
@outbox_staff
def index():
    status = request.args.get("status")
    chosen = EmailStatus(status) if status in EmailStatus._value2member_map_ else None
    return render_template(
        "notifications/outbox.html",
        emails=services.outbox(chosen),
        counts=services.counts(),
        chosen=chosen,
        email_status_labels=EMAIL_STATUS_LABELS,
        form=EmptyForm(),
    )


@bp.route("/<int:email_id>/retry", methods=["POST"])
@outbox_staff
def retry(email_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    email = db.session.get(OutboundEmail, email_id) or abort(404)
    services.retry(email)
    audit.record(current_user, "email.retry", "outbound_email", email.id)
    db.session.commit()
    flash(_("The email will be sent again by the next outbox run."), "success")
    return redirect(url_for("notifications.index", status="failed"))


@bp.route("/retry-failed", methods=["POST"])
@outbox_staff
def retry_failed():
    """Every failed email back in the queue at once (after an outage or a fixed address)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = services.retry_all_failed()
    audit.record(current_user, "email.retry_all", "outbound_email", None, detail={"count": count})
    db.session.commit()
    flash(_("%(count)d failed emails will be sent again by the next outbox run.", count=count), "success")
    return redirect(url_for("notifications.index"))
