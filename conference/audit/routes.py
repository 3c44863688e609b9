from flask import render_template, request

from conference.audit import bp, services
from conference.auth.decorators import admin_required
from conference.db import as_id


def before() -> int | None:
    return request.args.get("before", type=as_id)


@bp.route("/")
@admin_required
def index():
    events, older = services.recent(before=before())
    return render_template("audit/index.html", events=events, older=older)
