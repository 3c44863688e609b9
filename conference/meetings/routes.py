from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from conference import policy, transaction
from conference.agenda.models import AgendaItem
from conference.auth.decorators import clinical_staff_required
from conference.conferences import services as conferences
from conference.db import utcnow
from conference.extensions import db
from conference.forms import EmptyForm, VersionedForm, add_error
from conference.imaging import services as imaging
from conference.meetings import bp, services
from conference.meetings.forms import ActionForm, AmendForm, DecisionForm
from conference.meetings.models import (
    ActionItem,
    AttendanceStatus,
    RehabPlan,
)
from conference.minutes import services as minutes
from conference.rehab import services as rehab


def _conference(conference_id: int):
    return conferences.get_conference(conference_id) or abort(404)


def _require_recorder(conference):
    if not policy.can_record(current_user, conference):
        abort(403)


def _owners(conference):
    """Who may own an action: anyone active in the unit (services.action_owners)."""
    return services.action_owners()


def _render_live(
    conference,
    *,
    typed_attendance: dict | None = None,
    attendance_error: str | None = None,
    action_form: ActionForm | None = None,
):
    """The live meeting page; after a refused save it keeps what was typed (attendance choices, the action)."""
    view = services.meeting_view(conference)
    attendance_form = VersionedForm(formdata=None)
    # After a conflict the form carries the stored version, so saving again replaces it knowingly.
    attendance_form.version.data = services.attendance_version(conference)
    page = render_template(
        "meetings/live.html",
        conference=conference,
        view=view,
        latest=minutes.current(conference),
        versions=minutes.versions(conference),
        recorder=policy.can_record(current_user, conference),
        signer=policy.can_sign(current_user, conference),
        locked=services.is_locked(conference),
        recording_open=services.recording_open(conference),
        recording_opens_at=services.recording_opens_at(conference),
        started=services.has_started(conference),
        form=EmptyForm(),
        attendance_form=attendance_form,
        typed_attendance=typed_attendance,
        attendance_error=attendance_error,
        action_form=action_form or ActionForm(owners=_owners(conference)),
        amend_form=AmendForm(),
        statuses=list(AttendanceStatus),
    )
    # One access event per patient the page shows, on every rendering (re-rendered forms too).
    services.audit.record_shown(
        current_user,
        "meeting.view",
        "case",
        [(i.case_id, i.case.patient_id) for i in view.items],
        detail={"conference": conference.id},
    )
    return page


@bp.route("/<int:conference_id>")
@clinical_staff_required
def live(conference_id: int):
    return _render_live(_conference(conference_id))


@bp.route("/<int:conference_id>/attendance", methods=["POST"])
@clinical_staff_required
def attendance(conference_id: int):
    conference = _conference(conference_id)
    _require_recorder(conference)
    form = VersionedForm()
    statuses = {}
    for invitation in conference.invitations:
        value = request.form.get(f"attendance-{invitation.user_id}")
        if value in AttendanceStatus._value2member_map_:
            statuses[invitation.user_id] = AttendanceStatus(value)
    if not form.validate_on_submit():
        return _render_live(
            conference, typed_attendance=statuses, attendance_error=_("The form was damaged: reload the page.")
        ), 400
    try:
        services.set_attendance(conference, statuses, current_user, expected_version=form.version.data)
        db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
    except (services.StaleEdit, StaleDataError):
        transaction.refuse()
        message = _(
            "Someone else saved the attendance while you were editing. Your choices are kept below, beside "
            "what is saved now; save again to replace theirs."
        )
        return _render_live(conference, typed_attendance=statuses, attendance_error=message), 409
    except services.MeetingError as error:
        transaction.refuse()
        status = 409 if isinstance(error, (services.MinutesLocked, services.RecordingNotOpen)) else 400
        return _render_live(conference, typed_attendance=statuses, attendance_error=str(error)), status
    flash(_("Attendance saved."), "success")
    return redirect(url_for("meetings.live", conference_id=conference.id) + "#attendance")


PLAN_FIELDS = (
    "bone",
    "device",
    "rhythm",
    "walking_aids",
    "physiotherapy",
    "occupational_therapy",
    "home_exercises",
    "surgery_on",
    "latency_days",
    "rate_mm_per_day",
    "target_mm",
    "healing_index_days_per_cm",
    "distraction_visit_days",
    "consolidation_visit_days",
)


def _fill(form: DecisionForm, item: AgendaItem, decision) -> None:
    """The decision form as saved (or, before the first save, with the referral's wishes)."""
    if decision is not None:
        form.treatment.data = decision.treatment.value
        form.rationale.data = decision.rationale
        form.patient_wishes.data = decision.patient_wishes
        form.follow_up_on.data = decision.follow_up_on
        form.patient_response.data = decision.patient_response.value
        plan = decision.rehab_plan
        if plan is not None:
            for name in PLAN_FIELDS:
                getattr(form, name).data = getattr(plan, name)
            form.weight_bearing.data = plan.weight_bearing.value
    else:
        form.patient_wishes.data = item.case.patient_wishes
    form.version.data = decision.version if decision is not None else 0


def _save(item: AgendaItem, form: DecisionForm):
    """Save the decision form. Returns (saved, status, theirs): a stale save keeps the typed input and shows the
    stored decision beside it, with its version, so saving again replaces it knowingly, never by accident."""
    try:
        services.record_case_outcome(
            item,
            form.decision_input(),
            form.rehab_input(),
            form.action_input(),
            actor=current_user,
            expected_version=form.version.data,
        )
        db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
    except (services.MinutesLocked, services.RecordingNotOpen) as error:
        transaction.refuse()
        form.form_errors.append(str(error))
        return False, 409, None
    except (services.StaleEdit, StaleDataError, IntegrityError):
        transaction.refuse()
        theirs = services.decision_for_item(item.id)
        form.version.data = theirs.version if theirs is not None else 0
        form.form_errors.append(
            _(
                "Someone else saved this decision while you were editing. Your input is below and was not "
                "saved; what is saved now is shown beside it. Save again to replace it with yours."
            )
        )
        return False, 409, theirs
    except services.MeetingError as error:
        transaction.refuse()
        add_error(form, error)
        return False, 400, None
    return True, 200, None


@bp.route("/item/<int:item_id>", methods=["GET", "POST"])
@clinical_staff_required
def decide(item_id: int):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    conference = _conference(item.conference_id)
    _require_recorder(conference)
    decision = services.decision_for_item(item.id)
    form = DecisionForm(owners=_owners(conference))
    if request.method == "GET":
        _fill(form, item, decision)
    status = 200
    theirs = None
    if form.validate_on_submit():
        saved, status, theirs = _save(item, form)
        if saved:
            flash(_("Decision saved."), "success")
            return redirect(url_for("meetings.live", conference_id=conference.id) + f"#item-{item.id}")
    elif form.is_submitted():
        status = 400
    item = db.session.get(AgendaItem, item_id)
    decision = services.decision_for_item(item.id)
    services.audit.case_shown(current_user, item.case)
    plan = decision.rehab_plan if decision is not None else None
    computed = None
    if plan is not None and status == 200:
        computed = services.compute_plan(plan)
    from conference.cases import services as cases

    page = render_template(
        "meetings/decide.html",
        form=form,
        item=item,
        conference=item.conference,
        decision=decision,
        theirs=theirs,
        plan=plan,
        computed=computed,
        prediction=cases.predict(item.case),
        locked=services.is_locked(item.conference),
    )
    return page, status


# --- presentation mode: one case per screen, followed live ------------------------------------------------


@bp.route("/<int:conference_id>/room")
@clinical_staff_required
def room(conference_id: int):
    """Presentation mode opens on the case on the big screen (or the first case still waiting)."""
    conference = _conference(conference_id)
    items = services.cases.agenda(conference).items
    if not items:
        flash(_("No cases listed."), "info")
        return redirect(url_for("meetings.live", conference_id=conference.id))
    current = services.room_state(conference.id).current_item_id
    if current not in {i.id for i in items}:
        current = next((i.id for i in items if i.outcome.value == "pending"), items[0].id)
    return redirect(url_for("meetings.present", item_id=current))


@bp.route("/<int:conference_id>/room/state")
@clinical_staff_required
def room_state(conference_id: int):
    """What followers poll (every 2 s): the room's revision as an ETag, so an unchanged meeting costs one
    primary-key read and a 304; several workers and PostgreSQL or SQLite all see the same row."""
    conference = _conference(conference_id)
    state = services.room_state(conference.id)
    tag = f"room-{conference.id}-{state.revision}"
    if request.if_none_match.contains(tag):
        response = Response(status=304, headers={"Cache-Control": "no-cache"})
        response.set_etag(tag)
        return response
    target = state.current_item_id
    body = {
        "revision": state.revision,
        "current_item_id": target,
        "current_image_id": state.current_image_id,
        "current_url": url_for("meetings.present", item_id=target) if target else None,
    }
    response = jsonify(body)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/item/<int:item_id>/present", methods=["GET", "POST"])
@clinical_staff_required
def present(item_id: int):
    """One case on the wide screen: the question, the patient's wishes, measurements, chart and prediction, earlier
    decisions and the notes by specialty beside the decision form; next and previous; a timer. The chair's
    navigation moves every follower's screen. Saving stays on the case (or goes on to the next with "Save and
    next")."""
    item = db.session.get(AgendaItem, item_id) or abort(404)
    conference = _conference(item.conference_id)
    recorder = policy.can_record(current_user, conference)
    form = DecisionForm(owners=_owners(conference))
    status, theirs = 200, None
    view = services.meeting_view(conference)
    items = view.items
    index = next(n for n, i in enumerate(items) if i.id == item.id)
    following = items[index + 1] if index + 1 < len(items) else None
    if request.method == "POST":
        if not recorder:
            abort(403)
        if form.validate_on_submit():
            saved, status, theirs = _save(item, form)
            if saved:
                flash(_("Decision saved."), "success")
                target = following if request.form.get("then") == "next" and following is not None else item
                return redirect(url_for("meetings.present", item_id=target.id, saved=item.id))
        else:
            status = 400
        view = services.meeting_view(conference)
    else:
        _fill(form, item, view.decisions.get(item.id))
        services.present(conference, item, current_user)
    return _render_present(conference, item, view, form, recorder=recorder, theirs=theirs, status=status)


def _render_present(conference, item, view, form, *, recorder: bool, theirs, status: int):
    from conference.cases import services as cases
    from conference.cases.chart import case_chart

    items = view.items
    item = next(i for i in items if i.id == item.id)  # the row loaded with the view (after a save: fresh)
    index = items.index(item)
    case = item.case
    prediction = cases.predict(case)
    decision = view.decisions.get(item.id)
    state = services.room_state(conference.id)
    notes_by_specialty: dict[str, list] = {}
    for note in case.notes:
        label = str(note.specialty_label or note.author.role_label)
        notes_by_specialty.setdefault(label, []).append(note)
    earlier = [d for d in services.decisions_for_case(case.id) if d.agenda_item_id != item.id]
    images = imaging.images_of(case.id)
    room_image = next((i for i in images if i.id == state.current_image_id), None)
    if room_image is not None:
        imaging.record_access(current_user, room_image, "image.view")
    template = "meetings/_present_main.html" if request.args.get("fragment") else "meetings/present.html"
    page = render_template(
        template,
        conference=conference,
        item=item,
        case=case,
        items=items,
        index=index,
        previous=items[index - 1] if index > 0 else None,
        following=items[index + 1] if index + 1 < len(items) else None,
        view=view,
        decision=decision,
        theirs=theirs,
        form=form,
        recorder=recorder,
        presenter=policy.can_present(current_user, conference),
        locked=services.is_locked(conference),
        recording_open=services.recording_open(conference),
        started=services.has_started(conference),
        prediction=prediction,
        chart=case_chart(cases.chart_points(case), prediction),
        notes_by_specialty=notes_by_specialty,
        earlier=earlier,
        images=images,
        room_image=room_image,
        state=state,
        case_started=state.current_since if state.current_item_id == item.id else None,
        now_utc=utcnow(),  # the timer counts on the app's clock, whatever the screen's clock says
        saved_item=request.args.get("saved", type=int),
        signer=policy.can_sign(current_user, conference),
    )
    services.audit.case_shown(current_user, case)
    return page, status


@bp.route("/item/<int:item_id>/image", methods=["POST"])
@clinical_staff_required
def open_image(item_id: int):
    """The presenter shows one of the case's images to everyone following (an empty image_id closes it)."""
    item = db.session.get(AgendaItem, item_id) or abort(404)
    conference = _conference(item.conference_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    text = request.form.get("image_id", "")
    image = None
    if text:
        image = imaging.get(int(text)) if text.isdigit() and len(text) < 19 else None
        if image is None or image.case_id != item.case_id:
            abort(404)
        policy.require(policy.can_see_images(current_user, image.case))
    try:
        services.open_image(conference, item, image.id if image else None, current_user)
    except services.MeetingError:
        abort(403)
    return redirect(url_for("meetings.present", item_id=item.id) + ("#room-image" if image else ""))


@bp.route("/<int:conference_id>/attendance/all-present", methods=["POST"])
@clinical_staff_required
def all_present(conference_id: int):
    """One click at the start: everyone invited who has no attendance recorded yet is present."""
    conference = _conference(conference_id)
    _require_recorder(conference)
    if not EmptyForm().validate_on_submit():
        abort(400)
    recorded = services.attendance(conference)
    statuses = {i.user_id: AttendanceStatus.present for i in conference.invitations if i.user_id not in recorded}
    try:
        services.set_attendance(conference, statuses, current_user)
    except services.MeetingError as error:
        transaction.refuse()
        flash(str(error), "error")
    else:
        flash(_("Everyone invited is recorded present."), "success")
    return redirect(_back(conference))


@bp.route("/<int:conference_id>/defer-remaining", methods=["GET", "POST"])
@clinical_staff_required
def defer_remaining(conference_id: int):
    """The chair stops here: every case still waiting moves to the next conference when the minutes are signed.
    Asks first (how many cases, to which meeting); the confirmation carries the count it showed, so a list that
    changed in between is shown again instead of deferring more than was confirmed."""
    conference = _conference(conference_id)
    _require_recorder(conference)
    waiting = services.still_waiting(conference)
    confirmed = request.method == "POST" and request.form.get("expected") == str(len(waiting))
    if request.method == "POST" and not EmptyForm().validate_on_submit():
        abort(400)
    if not confirmed:
        page = render_template(
            "meetings/confirm_defer.html",
            conference=conference,
            waiting=waiting,
            target=conferences.next_conference_in_series(conference),
            back=_back(conference),
            form=EmptyForm(),
        )
        services.audit.record_shown(
            current_user,
            "meeting.defer_confirm",
            "case",
            [(i.case_id, i.case.patient_id) for i in waiting],
            detail={"conference": conference.id},
        )
        return page
    try:
        count = services.defer_remaining(conference, current_user)
    except services.MeetingError as error:
        transaction.refuse()
        flash(str(error), "error")
    else:
        flash(ngettext("%(num)d case deferred.", "%(num)d cases deferred.", count), "success")
    return redirect(_back(conference))


def _back(conference) -> str:
    """Back to the page the form was on: presentation mode or the meeting page (never another site)."""
    target = request.values.get("next") or ""
    if target.startswith("/meetings/") and "//" not in target:
        return target
    return url_for("meetings.live", conference_id=conference.id)


@bp.route("/item/<int:item_id>/defer", methods=["POST"])
@clinical_staff_required
def defer(item_id: int):
    item = db.session.get(AgendaItem, item_id) or abort(404)
    _require_recorder(item.conference)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.defer(item, current_user)
    except services.MeetingError as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(_back(item.conference)), 303
    else:
        flash(_("Case deferred: it moves to the next conference when the minutes are signed."), "success")
    return redirect(_back(item.conference))


@bp.route("/<int:conference_id>/actions", methods=["POST"])
@clinical_staff_required
def add_action(conference_id: int):
    conference = _conference(conference_id)
    _require_recorder(conference)
    form = ActionForm(owners=_owners(conference))
    if not form.validate_on_submit():
        return _render_live(conference, action_form=form), 400
    try:
        services.add_action(
            conference,
            owner=services.action_owner(form.owner.data),
            description=form.description.data,
            due_on=form.due_on.data,
            actor=current_user,
        )
    except services.MeetingError as error:
        transaction.refuse()
        form.description.errors = list(form.description.errors) + [str(error)]
        status = 409 if isinstance(error, (services.MinutesLocked, services.RecordingNotOpen)) else 400
        return _render_live(conference, action_form=form), status
    flash(_("Action added."), "success")
    # Post/redirect/get: a reload or a second click on the page shown next adds nothing.
    return redirect(url_for("meetings.live", conference_id=conference.id) + "#actions")


@bp.route("/actions")
@clinical_staff_required
def my_actions():
    return render_template("meetings/actions.html", actions=services.open_actions_for(current_user), form=EmptyForm())


@bp.route("/actions/<int:action_id>/done", methods=["POST"])
@clinical_staff_required
def action_done(action_id: int):
    action = db.session.get(ActionItem, action_id) or abort(404)
    policy.require(policy.can_complete_action(current_user, action))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.complete_action(action, current_user)
    except services.MeetingError as error:
        transaction.refuse()
        flash(str(error), "error")
    else:
        flash(_("Action done."), "success")
    return redirect(request.referrer or url_for("meetings.my_actions"))


@bp.route("/rehab/<int:plan_id>.ics")
@clinical_staff_required
def rehab_calendar(plan_id: int):
    plan = db.session.get(RehabPlan, plan_id) or abort(404)
    services.audit.record(
        current_user, "case.rehab_calendar", "case", plan.decision.case_id, patient_id=plan.decision.case.patient_id
    )
    payload = rehab.plan_ics(plan)
    return Response(
        payload,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="rehab-{plan.decision.case_id}.ics"'},
    )


@bp.route("/<int:conference_id>/pre-reading")
@clinical_staff_required
def pre_reading(conference_id: int):
    """The pre-reading pack: the listed cases' summaries on one printable page (a case per printed page), for the
    specialists before the meeting. Whoever may read cases may read it (policy.can_read_clinical); every patient
    shown is an access event."""
    conference = _conference(conference_id)
    policy.require(policy.can_read_clinical(current_user))
    from conference.cases import services as cases
    from conference.cases.chart import case_chart
    from conference.imaging import services as imaging

    items = services.cases.agenda(conference, measurements="all").items
    images = imaging.images_of_cases([item.case_id for item in items])
    cards = []
    for item in items:
        prediction = cases.predict(item.case)
        cards.append(
            {
                "item": item,
                "case": item.case,
                "prediction": prediction,
                "chart": case_chart(cases.chart_points(item.case), prediction, chart_id=f"lld-chart-{item.case_id}"),
                "earlier": services.decisions_for_case(item.case_id),
                "images": images[item.case_id],
            }
        )
    page = render_template("meetings/pre_reading.html", conference=conference, cards=cards)
    services.audit.record_shown(
        current_user,
        "meeting.pre_reading",
        "case",
        [(i.case_id, i.case.patient_id) for i in items],
        detail={"conference": conference.id},
    )
    return page
