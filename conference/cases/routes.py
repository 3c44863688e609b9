from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from conference import policy, transaction
from conference.agenda import services as case_list
from conference.agenda.models import AgendaItem
from conference.auth.decorators import clinical_staff_required, coordinator_required
from conference.cases import bp, listing, services
from conference.cases.chart import case_chart
from conference.cases.forms import (
    CaseEditForm,
    CaseSearchForm,
    ListCaseForm,
    MeasurementForm,
    MinutesForm,
    NoteForm,
    ReferralForm,
    StatusForm,
)
from conference.cases.models import Case, CaseStatus
from conference.conferences import services as conferences
from conference.db import as_id, local_today, utcnow
from conference.errors import DomainError
from conference.extensions import db
from conference.forms import EmptyForm, VersionedForm, add_error, as_float
from conference.imaging import radiograph
from conference.imaging import services as imaging
from conference.meetings import services as meetings
from conference.patients import services as patients
from conference.rehab import services as rehab


def _measurement_input(form) -> services.MeasurementInput:
    return services.MeasurementInput(
        measured_on=form.measured_on.data,
        method=form.method.data,
        lld_mm=as_float(form.lld_mm.data),
        femur_mm=as_float(form.femur_mm.data),
        tibia_mm=as_float(form.tibia_mm.data),
        foot_mm=as_float(form.foot_mm.data),
        long_leg_mm=as_float(form.long_leg_mm.data),
        short_leg_mm=as_float(form.short_leg_mm.data),
        bone_age_years=as_float(form.bone_age_years.data),
        bone_age_method=form.bone_age_method.data or None,
        femur_length_mm=as_float(form.femur_length_mm.data),
        tibia_length_mm=as_float(form.tibia_length_mm.data),
        mad_mm=as_float(form.mad_mm.data),
        mldfa_deg=as_float(form.mldfa_deg.data),
        mpta_deg=as_float(form.mpta_deg.data),
        notes=form.measurement_notes.data or None,
    )


@bp.route("/", methods=["GET", "POST"])
@clinical_staff_required
def index():
    form = CaseSearchForm()
    valid = form.validate_on_submit()
    searched = valid and bool(form.q.data or form.status.data)
    results = []
    if searched:
        results = services.search(
            text=form.q.data, status=CaseStatus(form.status.data) if form.status.data else None, actor=current_user
        )
    limit = min(request.args.get("queue", services.QUEUE_PAGE, type=int) or services.QUEUE_PAGE, 500)
    queue = services.ready_queue(limit)
    page = render_template(
        "cases/index.html",
        form=form,
        results=results,
        searched=searched,
        queue=queue,
        queue_total=services.ready_count(),
        queue_limit=limit,
    )
    services.audit.record_shown(current_user, "case.queue", "case", [(c.id, c.patient_id) for c, _days in queue])
    return page, 400 if request.method == "POST" and not valid else 200


@bp.route("/new", methods=["GET", "POST"])
@clinical_staff_required
def create():
    form = ReferralForm()
    if request.method == "GET":
        form.referring_clinician.data = current_user.name
        form.referring_email.data = current_user.email
        # From a patient's page: the patient is known (by id in the URL, never the identity number).
        patient_id = request.args.get("patient_id", type=int)
        if patient_id is not None:
            patient = patients.view_patient(patient_id, current_user) or abort(404)
            form.national_id.data = patient.national_id_display
            form.given_name.data = patient.given_name
            form.family_name.data = patient.family_name
            form.sex.data = patient.sex.value
    active = []
    if form.validate_on_submit():
        active = [] if form.new_case_anyway.data else services.active_cases(form.identity)
        if active:
            # Shown beside the form, which keeps everything typed; ticking "new case all the same" saves it.
            services.audit.record_shown(
                current_user, "case.duplicate_check", "case", [(c.id, c.patient_id) for c in active]
            )
            return render_template("cases/referral.html", form=form, active=active), 409
        try:
            patient = services.patient_for_referral(
                form.identity,
                given_name=form.given_name.data,
                family_name=form.family_name.data,
                sex=form.sex.data,
                actor=current_user,
            )
            measurement = _measurement_input(form) if form.measurement_given() else None
            case = services.refer_case(
                patient=patient, actor=current_user, fields=form.proforma(), measurement=measurement
            )
        except services.MissingPatientDetails as error:
            transaction.refuse()
            for name in error.fields:
                getattr(form, name).errors.append(str(error))
        except (services.CaseError, patients.PatientError) as error:
            transaction.refuse()
            add_error(form, error)
        else:
            missing = services.missing_fields(case)
            if missing:
                flash(
                    _(
                        "Referral saved as referred. Missing before it is ready: %(missing)s.",
                        missing=", ".join(missing),
                    ),
                    "warning",
                )
            else:
                flash(_("Referral saved; the case is ready to be listed."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/referral.html", form=form, active=active), 400 if form.is_submitted() else 200


def _render_summary(
    case: Case, note_form: NoteForm | None = None, status: int = 200, status_form: StatusForm | None = None
):
    prediction = services.predict(case)
    chart = case_chart(services.chart_points(case), prediction)
    decisions = meetings.decisions_for_case(case.id)
    images = imaging.images_of(case.id)
    return render_template(
        "cases/summary.html",
        case=case,
        today=local_today(),
        decisions=decisions,
        images=images,
        # Radiograph evidence is made on one of the case's images: without images there is none to look up.
        radiographs=radiograph.for_measurements(case.measurements) if images else {},
        rehab=rehab.plan_views([d.rehab_plan for d in decisions if d.rehab_plan is not None]),
        prediction=prediction,
        chart=chart,
        missing=services.missing_fields(case),
        note_form=note_form or NoteForm(),
        status_form=status_form or StatusForm(),
        list_form=ListCaseForm(),
        conferences=services.conferences_to_list_on(case) if policy.can("manage_case_lists") else [],
    ), status


@bp.route("/<int:case_id>")
@clinical_staff_required
def show(case_id: int):
    case = services.view_case(case_id, current_user) or abort(404)
    page = _render_summary(case)
    return page


@bp.route("/<int:case_id>/notes", methods=["POST"])
@clinical_staff_required
def add_note(case_id: int):
    case = services.load_case(case_id) or abort(404)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(case, current_user, form.text.data)
        except DomainError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Note added."), "success")
            return redirect(url_for("cases.show", case_id=case.id) + "#notes")
    services.audit.case_shown(current_user, case)
    page = _render_summary(case, note_form=form, status=400)
    return page


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@clinical_staff_required
def edit(case_id: int):
    case = services.load_case(case_id) or abort(404)
    policy.require(policy.can_edit_referral(current_user, case))
    form = CaseEditForm(obj=case if request.method == "GET" else None)
    status = 200
    if request.method == "GET":
        form.side.data = case.side.value if case.side else ""
        form.growth_pattern.data = case.growth_pattern.value
        form.priority.data = case.priority.value
        form.diagnosis.data = case.diagnosis or ""
        form.version.data = case.version
        services.audit.case_shown(current_user, case)
    elif form.validate_on_submit():
        try:
            services.update_case(case, expected_version=form.version.data, fields=form.proforma(), actor=current_user)
            db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
        except (services.ConcurrentEdit, StaleDataError):
            transaction.refuse()
            form.form_errors.append(
                _(
                    "Someone else saved this case while you were editing. Your changes are below "
                    "and were not saved; open the case in a new tab to see theirs, then save again."
                )
            )
            form.version.data = db.session.get(Case, case_id).version
            status = 409
        else:
            flash(_("Case saved."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    else:
        status = 400
    return render_template("cases/edit.html", form=form, case=case, missing=services.missing_fields(case)), status


@bp.route("/<int:case_id>/measurements/new", methods=["GET", "POST"])
@clinical_staff_required
def add_measurement(case_id: int):
    case = services.load_case(case_id) or abort(404)
    form = MeasurementForm()
    if request.method == "GET":  # the form names the patient
        services.audit.case_shown(current_user, case)
    if form.validate_on_submit():
        try:
            services.add_measurement(case, _measurement_input(form), current_user)
        except DomainError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Measurement added."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/measurement.html", form=form, case=case), 400 if form.is_submitted() else 200


@bp.route("/<int:case_id>/status", methods=["POST"])
@clinical_staff_required
def change_status(case_id: int):
    case = services.load_case(case_id) or abort(404)
    policy.require(policy.can_change_case_status(current_user, case))
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.change_status(case, CaseStatus(form.status.data), current_user, form.note.data or None)
        except DomainError as error:
            transaction.refuse()
            add_error(form, error) if error.field else form.status.errors.append(str(error))
        else:
            flash(_("Status changed."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    # Refused: the summary again, with the status and note as typed and the reason beside them.
    services.audit.case_shown(current_user, case)
    page = _render_summary(case, status=400, status_form=form)
    return page


# --- the case list of a conference ------------------------------------------------------------------------


@bp.route("/agenda/<int:conference_id>/list", methods=["GET", "POST"])
@coordinator_required
def list_case(conference_id: int):
    """Put a case on a conference's list; deadline and capacity are shown, and breaking them needs a reason."""
    conference = conferences.get_conference(conference_id) or abort(404)
    form = ListCaseForm(case_id=request.args.get("case_id", type=as_id))
    case = db.session.get(Case, form.case_id.data) if form.case_id.data else None
    if case is None:
        abort(404)
    status = 200
    if request.method == "GET":
        services.audit.case_shown(current_user, case)
    if form.validate_on_submit():
        try:
            services.list_case(
                conference, case, current_user, minutes=form.minutes.data, override_reason=form.override_reason.data
            )
        except DomainError as error:
            transaction.refuse()
            add_error(form, error)
            status = 409 if isinstance(error, case_list.NeedsOverride) else 400
        else:
            flash(_("Case listed."), "success")
            return redirect(url_for("conferences.detail", conference_id=conference.id) + "#agenda")
    elif form.is_submitted():
        status = 400
    return render_template(
        "cases/list_case.html",
        form=form,
        case=case,
        conference=conference,
        view=services.agenda(conference),
        missing=services.missing_fields(case),
    ), status


def _changed_meanwhile() -> str:
    return _(
        "Someone else changed the case list while you were editing: the list below is as it is saved now. "
        "Check it, then make your change again."
    )


def _agenda_edit(item: AgendaItem, change, form, *, typed_minutes: str | None = None):
    """Run a case-list edit with the version the page showed. A stale or refused edit re-renders the conference
    page (409 or 400) with the typed value kept beside the stored list."""
    from conference.conferences.routes import render_detail

    conference_id = item.conference_id
    typed = {item.id: typed_minutes} if typed_minutes is not None else None
    if not form.validate_on_submit():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return render_detail(item.conference, agenda_error=message, typed_minutes=typed, status=400)
    try:
        change(form.version.data)
        db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
    except (services.StaleEdit, StaleDataError):
        transaction.refuse()
        message = _changed_meanwhile()
        return render_detail(
            conferences.get_conference(conference_id), agenda_error=message, typed_minutes=typed, status=409
        )
    except DomainError as error:
        transaction.refuse()
        return render_detail(
            conferences.get_conference(conference_id), agenda_error=str(error), typed_minutes=typed, status=409
        )
    return redirect(url_for("conferences.detail", conference_id=conference_id) + "#agenda")


@bp.route("/agenda/item/<int:item_id>/unlist", methods=["POST"])
@coordinator_required
def unlist(item_id: int):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    response = _agenda_edit(item, lambda version: services.unlist(item, current_user, version), VersionedForm())
    if not isinstance(response, tuple):  # saved: a redirect
        flash(_("Case taken off the list; it is back in the queue."), "success")
    return response


@bp.route("/agenda/item/<int:item_id>/move/<direction>", methods=["POST"])
@coordinator_required
def move(item_id: int, direction: str):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    if direction not in ("up", "down"):
        abort(404)
    step = -1 if direction == "up" else 1
    return _agenda_edit(item, lambda version: case_list.move(item, step, current_user, version), VersionedForm())


@bp.route("/agenda/item/<int:item_id>/minutes", methods=["POST"])
@coordinator_required
def minutes(item_id: int):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    form = MinutesForm()
    return _agenda_edit(
        item,
        lambda version: case_list.set_minutes(item, form.minutes.data, current_user, version),
        form,
        typed_minutes=request.form.get("minutes", ""),
    )


@bp.route("/agenda/<int:conference_id>/roll-over", methods=["POST"])
@coordinator_required
def roll_over(conference_id: int):
    conference = conferences.get_conference(conference_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        target, moved = services.move_undiscussed(conference, current_user)
    except DomainError as error:
        transaction.refuse()
        from conference.conferences.routes import render_detail

        return render_detail(conference, agenda_error=str(error), status=409)
    if target is not None:
        flash(_("%(count)d cases moved to the top of the next conference.", count=moved), "success")
        return redirect(url_for("conferences.detail", conference_id=target.id) + "#agenda")
    flash(_("No case to move, or no next conference in the series."), "info")
    return redirect(url_for("conferences.detail", conference_id=conference.id))


@bp.route("/agenda/<int:conference_id>/list-many", methods=["POST"])
@coordinator_required
def list_many(conference_id: int):
    """The case-list builder: several ready cases listed at once, in the queue's order."""
    from conference.conferences.routes import render_detail

    conference = conferences.get_conference(conference_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    wanted = [int(v) for v in request.form.getlist("case_ids") if v.isdigit() and len(v) < 18]
    chosen = services.cases_by_id(wanted)
    reason = (request.form.get("override_reason") or "").strip() or None
    try:
        listed = services.list_cases(conference, chosen, current_user, override_reason=reason)
    except DomainError as error:
        transaction.refuse()
        status = 409 if isinstance(error, case_list.NeedsOverride) else 400
        return render_detail(
            conferences.get_conference(conference_id),
            agenda_error=str(error),
            chosen_cases=set(wanted),
            needs_override=isinstance(error, case_list.NeedsOverride),
            status=status,
        )
    flash(ngettext("%(num)d case listed.", "%(num)d cases listed.", len(listed)), "success")
    return redirect(url_for("conferences.detail", conference_id=conference.id) + "#agenda")


@bp.route("/agenda/<int:conference_id>/order", methods=["POST"])
@coordinator_required
def reorder(conference_id: int):
    """The order the coordinator dragged the cases into: every item with the version the page showed."""
    from conference.conferences.routes import render_detail

    conference = conferences.get_conference(conference_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    order = []
    for part in (request.form.get("order") or "").split(","):
        item_id, _sep, version = part.partition(":")
        if item_id.isdigit() and version.isdigit() and len(item_id) < 18 and len(version) < 10:
            order.append((int(item_id), int(version)))
    try:
        case_list.reorder(conference, order, current_user)
        db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
    except (services.StaleEdit, StaleDataError):
        transaction.refuse()
        return render_detail(conferences.get_conference(conference_id), agenda_error=_changed_meanwhile(), status=409)
    except DomainError as error:
        transaction.refuse()
        return render_detail(conferences.get_conference(conference_id), agenda_error=str(error), status=409)
    flash(_("The case list is in the new order."), "success")
    return redirect(url_for("conferences.detail", conference_id=conference.id) + "#agenda")


@bp.route("/agenda/<int:conference_id>/print")
@clinical_staff_required
def print_agenda(conference_id: int):
    conference = conferences.get_conference(conference_id) or abort(404)
    view = listing.case_list_rows(conference, utcnow(), lld=False)
    page = render_template("cases/print_agenda.html", view=view, conference=conference)
    services.audit.record_shown(
        current_user,
        "agenda.print",
        "case",
        [(i.case_id, i.case.patient_id) for i in view.items],
        detail={"conference": conference.id},
    )
    return page
