from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from conference import policy, transaction
from conference.auth.decorators import clinical_staff_required
from conference.cases import services as cases
from conference.db import StaleEdit, local_today
from conference.extensions import db
from conference.forms import add_error
from conference.meetings import services as meetings
from conference.meetings.models import RehabPlan
from conference.people import services as people
from conference.rehab import bp, services
from conference.rehab.chart import length_chart
from conference.rehab.forms import (
    AdaptationCorrectionForm,
    AdaptationForm,
    AssignForm,
    FollowUpCorrectionForm,
    FollowUpForm,
    ReviewForm,
)
from conference.rehab.models import Adaptation, FollowUp, RehabVisit


@bp.route("/")
@clinical_staff_required
def worklist():
    whole_unit = request.args.get("unit", "1" if services.sees_whole_unit_by_default(current_user) else "0") == "1"
    work = services.worklist(current_user, whole_unit=whole_unit)
    page = render_template("rehab/worklist.html", work=work, whole_unit=whole_unit, today=local_today())
    services.audit.record_shown(
        current_user,
        "rehab.worklist",
        "case",
        [(row.plan.decision.case_id, row.plan.decision.case.patient_id) for row in work.rows],
    )
    return page


def _plan(plan_id: int) -> RehabPlan:
    plan = db.session.get(RehabPlan, plan_id) or abort(404)
    return plan


def render_plan(plan: RehabPlan, *, followup_form=None, adaptation_form=None, review_form=None, status: int = 200):
    """The plan page: the plan and its dates, visits, follow-ups with the planned/achieved chart and flags,
    occupational therapy; forms that were refused come back filled in."""
    visits = services.visits_of(plan)
    followups = services.followups_of(plan)
    computed = meetings.compute_plan(plan)
    today = local_today()
    planned = []
    if computed is not None:
        day = computed.distraction_start - timedelta(days=1)
        while day <= computed.distraction_end + timedelta(days=1):
            planned.append((day, services.planned_mm_on(plan, day)))
            day += timedelta(days=1)
    chart = length_chart(
        planned,
        [(f.seen_on, f.achieved_mm) for f in followups if f.achieved_mm is not None],
        title=_("Planned against achieved lengthening"),
        planned_label=_("Planned"),
        achieved_label=_("Achieved"),
        y_label=_("Lengthening (mm)"),
    )
    therapists = people.active_with_specialty(services.THERAPISTS)
    case = plan.decision.case
    page = render_template(
        "rehab/plan.html",
        plan=plan,
        case=case,
        decision=plan.decision,
        computed=computed,
        index=meetings.index_in_use(plan),
        phase=services.phase_on(plan, today),
        planned_today=services.planned_mm_on(plan, today),
        visits=visits,
        followups=followups,
        flags=services.flags(plan, followups),
        adaptations=services.adaptations_of(plan),
        chart=chart,
        assign_forms={v.id: _assign_form(v, therapists) for v in visits},
        followup_form=followup_form or FollowUpForm(visits=visits, formdata=None),
        adaptation_form=adaptation_form or AdaptationForm(formdata=None),
        review_form=review_form or ReviewForm(formdata=None),
        can_followup=policy.can_record_followup(current_user),
        can_assign=policy.can_assign_visits(current_user),
        can_adapt=policy.can_record_adaptations(current_user),
        today=today,
    )
    services.audit.case_shown(current_user, case)
    return page, status


def _assign_form(visit: RehabVisit, therapists) -> AssignForm:
    form = AssignForm(therapists=therapists, formdata=None)
    form.therapist.data, form.version.data = visit.therapist_id or 0, visit.version
    return form


@bp.route("/plan/<int:plan_id>")
@clinical_staff_required
def plan(plan_id: int):
    return render_plan(_plan(plan_id))


@bp.route("/plan/<int:plan_id>/followups", methods=["POST"])
@clinical_staff_required
def record_followup(plan_id: int):
    plan = _plan(plan_id)
    policy.require(policy.can_record_followup(current_user))
    form = FollowUpForm(visits=services.visits_of(plan))
    if form.validate_on_submit():
        try:
            services.record_followup(plan, form.followup_input(), current_user)
        except services.RehabError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Visit recorded."), "success")
            return redirect(url_for("rehab.plan", plan_id=plan.id) + "#followups")
    return render_plan(plan, followup_form=form, status=400)


@bp.route("/visit/<int:visit_id>/assign", methods=["POST"])
@clinical_staff_required
def assign(visit_id: int):
    visit = db.session.get(RehabVisit, visit_id) or abort(404)
    policy.require(policy.can_assign_visits(current_user))
    therapists = people.active_with_specialty(services.THERAPISTS)
    form = AssignForm(therapists=therapists)
    plan_id = visit.plan_id
    if not form.validate_on_submit():
        flash(_("The form was damaged: reload the page."), "error")
        return render_plan(visit.plan, status=400)
    chosen = next((u for u in therapists if u.id == form.therapist.data), None)
    try:
        services.assign_visit(visit, chosen, current_user, expected_version=form.version.data)
        db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
    except (StaleEdit, StaleDataError):
        transaction.refuse()
        flash(_("Someone else changed this visit: its therapist as saved now is shown. Choose again."), "error")
        return render_plan(db.session.get(RehabPlan, plan_id), status=409)
    except services.RehabError as error:
        transaction.refuse()
        flash(str(error), "error")
        return render_plan(db.session.get(RehabPlan, plan_id), status=400)
    return redirect(url_for("rehab.plan", plan_id=plan_id) + "#visits")


@bp.route("/plan/<int:plan_id>/adaptations", methods=["POST"])
@clinical_staff_required
def add_adaptation(plan_id: int):
    plan = _plan(plan_id)
    policy.require(policy.can_record_adaptations(current_user))
    form = AdaptationForm()
    if form.validate_on_submit():
        try:
            services.add_adaptation(plan, **_adaptation_fields(form), actor=current_user)
        except services.RehabError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Adaptation recorded."), "success")
            return redirect(url_for("rehab.plan", plan_id=plan.id) + "#adaptations")
    return render_plan(plan, adaptation_form=form, status=400)


@bp.route("/adaptation/<int:adaptation_id>/delivered", methods=["POST"])
@clinical_staff_required
def delivered(adaptation_id: int):
    adaptation = db.session.get(Adaptation, adaptation_id) or abort(404)
    policy.require(policy.can_record_adaptations(current_user))
    if not ReviewForm().validate_on_submit():
        abort(400)
    services.mark_delivered(adaptation, local_today(), current_user)
    return redirect(url_for("rehab.plan", plan_id=adaptation.plan_id) + "#adaptations")


@bp.route("/plan/<int:plan_id>/review", methods=["POST"])
@clinical_staff_required
def review(plan_id: int):
    """A flag's one action: the case goes back on the next conference's list."""
    plan = _plan(plan_id)
    policy.require(policy.can_record_followup(current_user))
    form = ReviewForm()
    if not form.validate_on_submit():
        return render_plan(plan, review_form=form, status=400)
    try:
        item = services.send_back_to_conference(plan, current_user, form.reason.data)
    except (services.RehabError, cases.CaseError) as error:
        transaction.refuse()
        form.reason.errors = list(form.reason.errors) + [str(error)]
        return render_plan(db.session.get(RehabPlan, plan_id), review_form=form, status=409)
    flash(_("The case is on the list of the conference %(when)s.", when=item.conference.title), "success")
    return redirect(url_for("rehab.plan", plan_id=plan_id))


def _adaptation_fields(form) -> dict:
    return {
        "kind": form.kind.data,
        "description": form.description.data,
        "ordered_on": form.ordered_on.data,
        "delivered_on": form.delivered_on.data,
    }


def _audit_view(plan: RehabPlan) -> None:
    services.audit.case_shown(current_user, plan.decision.case)


@bp.route("/followup/<int:followup_id>/correct", methods=["GET", "POST"])
@clinical_staff_required
def correct_followup(followup_id: int):
    """Correct a follow-up recorded by mistake (a new row: the original is kept and shown)."""
    original = db.session.get(FollowUp, followup_id) or abort(404)
    policy.require(policy.can_record_followup(current_user))
    plan = _plan(original.plan_id)
    visits = services.visits_of(plan)
    form = FollowUpCorrectionForm(visits=visits, obj=original if request.method == "GET" else None)
    if request.method == "GET":
        form.visit_id.data = original.visit_id or 0
        form.weight_bearing.data = original.weight_bearing.value if original.weight_bearing else ""
        form.pin_sites.data = original.pin_sites.value if original.pin_sites else ""
        _audit_view(plan)
    elif form.validate_on_submit():
        try:
            services.correct_followup(original, form.followup_input(), reason=form.reason.data, actor=current_user)
        except services.RehabError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Visit corrected; the original is kept."), "success")
            return redirect(url_for("rehab.plan", plan_id=plan.id) + "#followups")
    status = 400 if form.is_submitted() else 200
    return render_template("rehab/correct.html", form=form, plan=plan, original=original, kind="followup"), status


@bp.route("/adaptation/<int:adaptation_id>/correct", methods=["GET", "POST"])
@clinical_staff_required
def correct_adaptation(adaptation_id: int):
    """Correct an adaptation or aid recorded by mistake (a new row: the original is kept and shown)."""
    original = db.session.get(Adaptation, adaptation_id) or abort(404)
    policy.require(policy.can_record_adaptations(current_user))
    plan = _plan(original.plan_id)
    form = AdaptationCorrectionForm(obj=original if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = original.kind.value
        _audit_view(plan)
    elif form.validate_on_submit():
        try:
            services.correct_adaptation(
                original, **_adaptation_fields(form), reason=form.reason.data, actor=current_user
            )
        except services.RehabError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Adaptation corrected; the original is kept."), "success")
            return redirect(url_for("rehab.plan", plan_id=plan.id) + "#adaptations")
    status = 400 if form.is_submitted() else 200
    return render_template("rehab/correct.html", form=form, plan=plan, original=original, kind="adaptation"), status
