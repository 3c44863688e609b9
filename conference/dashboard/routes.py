from flask import render_template
from flask_login import current_user

from conference.auth.decorators import signed_in_required
from conference.auth.forms import LanguageForm
from conference.dashboard import bp, services


@bp.route("/")
@signed_in_required
def index():
    return render_template(
        "dashboard/index.html",
        panels=services.panels_for(current_user),
        language_form=LanguageForm(locale=current_user.locale or "sv"),
    )
