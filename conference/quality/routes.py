from datetime import timedelta

from flask import Response, abort, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from conference.audit import services as audit
from conference.auth.decorators import clinical_staff_required, coordinator_required
from conference.conferences.models import ConferenceSeries
from conference.db import local_today
from conference.extensions import db
from conference.quality import bp, export, services
from conference.quality.forms import PeriodForm


def _period():
    """The period from the query string (a GET form, kept in the URL so a figure can be shared), or the last year."""
    series = db.session.execute(select(ConferenceSeries.id, ConferenceSeries.title).order_by(ConferenceSeries.id))
    form = PeriodForm(request.args, series_choices=[(sid, title) for sid, title in series])
    if not request.args:
        form.end.data = local_today()
        form.start.data = form.end.data - timedelta(days=365)
        form.series.data = 0
        return form, True
    return form, form.validate()


def _label(form) -> str:
    return _("%(start)s to %(end)s", start=format_date(form.start.data), end=format_date(form.end.data))


def _charts(report: services.Report) -> dict:
    from conference.quality import charts  # matplotlib loads on the first quality page, not in every process

    t = report.tables
    waiting = [r for r in t["waiting"].rows if r[0] == _("All")]
    meetings = t["meetings"].rows
    quorum = t["quorum"].rows[1:]
    return {
        "waiting": charts.bars(
            [r[1] for r in waiting], [r[3] for r in waiting], title=_("Median wait by step"), y_label=_("days")
        ),
        "meetings": charts.paired_bars(
            [format_date(r[0]) for r in meetings],
            [r[1] for r in meetings],
            [r[2] for r in meetings],
            title=_("Cases listed against capacity"),
            first_label=_("Capacity"),
            second_label=_("Cases listed"),
            y_label=_("cases"),
        ),
        "quorum": charts.bars(
            [r[0] for r in quorum], [r[2] for r in quorum], title=_("Required specialty present"), y_label="%"
        ),
        "treatments": charts.bars(
            [r[0] for r in t["treatments"].rows],
            [r[1] for r in t["treatments"].rows],
            title=_("Decisions by treatment"),
            y_label=_("decisions"),
        ),
        "prediction": charts.scatter_identity(
            report.scatter,
            title=_("Predicted against actual discrepancy"),
            x_label=_("predicted (mm)"),
            y_label=_("actual at maturity (mm)"),
        ),
        "lengthening": charts.scatter_identity(
            report.lengthening_points,
            title=_("Planned against achieved lengthening"),
            x_label=_("planned (mm)"),
            y_label=_("achieved (mm)"),
        ),
    }


@bp.route("/")
@clinical_staff_required
def index():
    form, valid = _period()
    if not valid:
        return render_template("quality/index.html", form=form, report=None, charts={}, query=""), 400
    report = services.report(form.start.data, form.end.data, form.series.data or None)
    return render_template(
        "quality/index.html",
        form=form,
        report=report,
        charts=_charts(report),
        query=request.query_string.decode(),
        period=_label(form),
    )


@bp.route("/<name>.csv")
@clinical_staff_required
def table_csv(name: str):
    form, valid = _period()
    if not valid:
        abort(400)
    report = services.report(form.start.data, form.end.data, form.series.data or None)
    table = report.tables.get(name) or abort(404)
    return Response(
        export.table_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="quality-{name}-{form.start.data}-{form.end.data}.csv"'},
    )


@bp.route("/report.xlsx")
@clinical_staff_required
def workbook():
    form, valid = _period()
    if not valid:
        abort(400)
    report = services.report(form.start.data, form.end.data, form.series.data or None)
    payload = export.workbook(
        report, title=_("Outcomes and quality"), period_label=_label(form), overview_name=_("Overview")
    )
    return Response(
        payload,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="quality-{form.start.data}-{form.end.data}.xlsx"'},
    )


@bp.route("/cases.csv")
@coordinator_required
def cases_csv():
    """Per case, with identity: for the coordinator's own follow-up; one access event per patient in it."""
    form, valid = _period()
    if not valid:
        abort(400)
    columns, rows, shown = services.case_rows(form.start.data, form.end.data, form.series.data or None)
    audit.record_shown(current_user, "quality.case_export", "case", shown)
    return Response(
        export.rows_csv(columns, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="quality-cases-{form.start.data}-{form.end.data}.csv"'},
    )
