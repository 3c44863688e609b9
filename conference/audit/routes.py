from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from conference.audit import bp, services
from conference.auth.decorators import admin_required
from conference.db import as_id
from conference.forms import Form


def before() -> int | None:
    return request.args.get("before", type=as_id)


class AccessLogSearchForm(Form):
    """Posted, never in the URL: identity numbers stay out of access logs and browser history."""

    identity = StringField(_l("Patient's identity number"), validators=[InputRequired(), Length(max=20)])


@bp.route("/", methods=["GET", "POST"])
@admin_required
def index():
    form = AccessLogSearchForm()
    status = 200
    if form.validate_on_submit():
        from conference.patients import services as patients
        from conference.patients.identity import InvalidIdentityNumber, parse_identity_number

        try:
            patient = patients.find_by_identity(parse_identity_number(form.identity.data, allow_reserve=True))
        except InvalidIdentityNumber as error:
            form.identity.errors.append(str(error))
            status = 400
        else:
            if patient is not None:
                return redirect(url_for("patients.access_log", patient_id=patient.id))
            form.identity.errors.append(_("No patient has this identity number."))
            status = 404
    elif form.is_submitted():
        status = 400
    events, older = services.recent(before=before())
    return render_template("audit/index.html", events=events, older=older, search_form=form), status
