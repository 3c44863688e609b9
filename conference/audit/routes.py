from flask import render_template, request

from conference.audit import bp, services
from conference.auth.decorators import admin_required


def before() -> int | None:
    value = request.args.get("before", type=int)
    return value if value is not None and 0 < value < 2**63 else None


@bp.route("/")
@admin_required
def index():
    events, older = services.recent(before=before())
    return render_template("audit/index.html", events=events, older=older)
