"""The administrator's page for the FHIR API: issue a token per hospital system (shown once), revoke it."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference import transaction
from conference.auth.decorators import admin_required
from conference.db import utcnow
from conference.extensions import db
from conference.fhir import admin_bp as bp
from conference.fhir import services
from conference.fhir.forms import SCOPE_LABELS, ApiClientForm, RevokeForm
from conference.fhir.models import ApiClient


def _page(form, token=None, issued=None, status=200):
    return (
        render_template(
            "integrations/index.html",
            clients=services.clients(),
            now=utcnow(),
            form=form,
            revoke_form=RevokeForm(),
            token=token,
            issued=issued,
            scope_labels=SCOPE_LABELS,
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@admin_required
def index():
    form = ApiClientForm()
    if form.validate_on_submit():
        try:
            client, token = services.issue_client(
                form.name.data, form.scopes.data, current_user, expires_on=form.expires_on.data
            )
        except services.ClientError as error:
            transaction.refuse()
            getattr(form, error.field or "name").errors.append(str(error))
            return _page(form, status=400)
        # The token is on this response only; the database keeps its hash.
        return _page(ApiClientForm(formdata=None), token=token, issued=client)
    return _page(form, status=400 if form.is_submitted() else 200)


@bp.route("/<int:client_id>/revoke", methods=["POST"])
@admin_required
def revoke(client_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    client = db.session.get(ApiClient, client_id) or abort(404)
    services.revoke_client(client, current_user)
    flash(_("The token of %(name)s no longer works.", name=client.name), "success")
    return redirect(url_for("integrations.index"))
