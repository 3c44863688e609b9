from flask import render_template

from conference.audit import bp, services
from conference.auth.decorators import admin_required


@bp.route("/")
@admin_required
def index():
    return render_template("audit/index.html", events=services.recent())
