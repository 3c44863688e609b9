import re
from datetime import datetime, time, timezone

from flask import Response as HTTPResponse
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from conference import policy, transaction
from conference.audit import services as audit
from conference.auth.decorators import (
    clinical_staff_required,
    coordinator_required,
    signed_in_required,
    token_route,
)
from conference.conferences import bp, services
from conference.conferences.forms import (
    ArchiveForm,
    BookingForm,
    CancelForm,
    InviteForm,
    RescheduleForm,
    RespondForm,
    SeriesCancelForm,
    SeriesRescheduleForm,
)
from conference.conferences.models import ConferenceSeries, InvitationRole, Response
from conference.db import StaleEdit, utcnow
from conference.extensions import db
from conference.forms import EmptyForm, add_error, options
from conference.minutes import services as minutes
from conference.notifications.services import RecipientNotAllowed
from conference.people import services as people
from conference.people.models import User


def _local(day, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=services.unit_tz()).astimezone(timezone.utc)


def _fill_people_choices(form) -> dict:
    grouped = people.users_by_specialty()
    everyone = [user for users in grouped.values() for user in users]
    form.chair.choices = options([(0, _("No chair"))] + [(u.id, u.name) for u in everyone])
    form.participants.choices = options((u.id, u.name) for u in everyone)
    return {s.label if s else _("Coordinators and administrators"): users for s, users in grouped.items()}


def _warn_room_clashes(booked) -> None:
    for ours, theirs in services.room_clashes(list(booked))[:3]:
        flash(
            _(
                "%(room)s is also booked for “%(other)s” at %(when)s.",
                room=ours.location,
                other=theirs.title,
                when=format_datetime(theirs.starts_at, "short"),
            ),
            "warning",
        )


def _ics_response(payload: bytes, filename: str) -> HTTPResponse:
    return HTTPResponse(
        payload, mimetype="text/calendar", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _page_number() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return max(1, min(page, 100_000))


@bp.route("/")
@clinical_staff_required
def index():
    """Coming meetings, soonest first, a page of 50 at a time (the archive holds the past ones)."""
    page = _page_number()
    total = services.upcoming_count()
    shown = services.upcoming(limit=services.PAGE_SIZE, offset=(page - 1) * services.PAGE_SIZE)
    return render_template(
        "conferences/index.html", conferences=shown, page=page, pages=max(1, -(-total // services.PAGE_SIZE))
    )


@bp.route("/archive")
@clinical_staff_required
def archive():
    """Past meetings, held or cancelled, with their minutes; filtered by dates and series, 50 a page."""
    form = ArchiveForm(request.args)
    form.series.choices = options([(0, _("All series"))] + [(s.id, s.title) for s in services.all_series()])
    status = 200
    found = services.ArchivePage([], 0)
    page = _page_number()
    if form.validate():
        found = services.archive(
            start=form.start.data,
            end=form.end.data,
            series_id=form.series.data or None,
            offset=(page - 1) * services.PAGE_SIZE,
            limit=services.PAGE_SIZE,
        )
    else:
        status = 400
    signed = minutes.latest_signed_versions([c.id for c in found.conferences])
    arguments = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "conferences/archive.html",
        form=form,
        conferences=found.conferences,
        total=found.total,
        signed=signed,
        page=page,
        pages=max(1, -(-found.total // services.PAGE_SIZE)),
        arguments=arguments,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@coordinator_required
def create():
    form = BookingForm()
    if request.method == "GET":
        form.capacity.data = current_app.config["DEFAULT_CAPACITY"]
        form.case_deadline_hours.data = current_app.config["DEFAULT_CASE_DEADLINE_HOURS"]
    groups = _fill_people_choices(form)
    if form.validate_on_submit():
        users = {u.id: u for group in groups.values() for u in group}
        chair = users.get(form.chair.data) if form.chair.data else None
        participants = [
            services.Participant(users[uid], InvitationRole.required) for uid in form.participants.data if uid in users
        ]
        start = _local(form.date.data, form.start_time.data)
        end = _local(form.date.data, form.end_time.data)
        common = dict(
            actor=current_user,
            title=form.title.data,
            location=form.location.data or None,
            video_link=form.video_link.data or None,
            capacity=form.capacity.data,
            case_deadline_hours=form.case_deadline_hours.data,
            chair=chair,
            participants=participants,
        )
        try:
            if form.kind.data == "single":
                booked = services.book_conference(starts_at=start, ends_at=end, **common)
                target = url_for("conferences.detail", conference_id=booked.id)
            else:
                rrule = services.weekly_rrule(start, int(form.repeat.data), form.until.data)
                booked = services.book_series(
                    first_start=start, duration_minutes=int((end - start).total_seconds() // 60), rrule=rrule, **common
                )
                target = url_for("conferences.series_detail", series_id=booked.id)
        except services.BookingError as error:
            transaction.refuse()
            add_error(form, error)
        except RecipientNotAllowed as error:
            transaction.refuse()
            form.participants.errors.append(str(error))
        else:
            _warn_room_clashes(booked.conferences if form.kind.data != "single" else [booked])
            flash(
                _(
                    "Booked. Invitations are on their way to %(count)d participants.",
                    count=len(participants) + (1 if chair and chair.id not in form.participants.data else 0),
                ),
                "success",
            )
            return redirect(target)
    status = 400 if form.is_submitted() else 200
    return render_template("conferences/form.html", form=form, groups=groups), status


@bp.route("/<int:conference_id>")
@clinical_staff_required
def detail(conference_id: int):
    conference = services.get_conference(conference_id) or abort(404)
    return render_detail(conference)


def render_detail(
    conference,
    *,
    cancel_form: CancelForm | None = None,
    agenda_error: str | None = None,
    typed_minutes: dict[int, str] | None = None,
    chosen_cases: set[int] | None = None,
    needs_override: bool = False,
    status: int = 200,
):
    """The conference page. A refused cancel or case-list edit comes back here with what was typed (and the case
    list as it is stored now)."""
    invitation = next((i for i in conference.invitations if i.user_id == current_user.id), None)
    respond_form = RespondForm(
        response=invitation.response.value
        if invitation and invitation.response is not Response.needs_action
        else "accepted"
    )
    from conference.cases import listing
    from conference.cases import services as cases

    agenda = listing.case_list_rows(conference, utcnow())
    coordinator = policy.can("manage_case_lists")
    cancel_form = cancel_form or CancelForm()
    if agenda.items and services.next_conference_in_series(conference) is None:
        # Offer only what cancelling can do: without a next meeting the cases can only go back to the queue.
        cancel_form.cases_to.choices = [c for c in cancel_form.cases_to.choices if c.value != "next"]
    queue_limit = min(request.args.get("queue", cases.QUEUE_PAGE, type=int) or cases.QUEUE_PAGE, 500)
    queue = cases.ready_queue(queue_limit) if coordinator else []
    page = render_template(
        "conferences/detail.html",
        conference=conference,
        invitation=invitation,
        respond_form=respond_form,
        cancel_form=cancel_form,
        agenda=agenda,
        queue=queue,
        invite_form=_invite_form({i.user_id for i in conference.invitations}),
        minutes_versions=minutes.versions(conference),
        agenda_error=agenda_error,
        typed_minutes=typed_minutes or {},
        queue_total=cases.ready_count() if coordinator else 0,
        queue_limit=queue_limit,
        chosen_cases=chosen_cases or set(),
        needs_override=needs_override,
        missing_specialties=cases.missing_specialties(conference, agenda.items),
        room_clashes=[theirs for _ours, theirs in services.room_clashes([conference])],
        undiscussed=conference.status.value != "cancelled"
        and conference.series_id is not None
        and any(i.outcome.value != "discussed" for i in agenda.items)
        and conference.ends_at <= utcnow(),
    )
    # The list and the ready queue name patients: one access event for each.
    shown = [(i.case_id, i.case.patient_id) for i in agenda.items] + [(c.id, c.patient_id) for c, _days in queue]
    audit.record_shown(current_user, "agenda.view", "case", shown, detail={"conference": conference.id})
    return page, status


@bp.route("/<int:conference_id>.ics")
@clinical_staff_required
def download(conference_id: int):
    conference = services.get_conference(conference_id) or abort(404)
    return _ics_response(services.conference_calendar(conference, None, rsvp=False), f"mdt-{conference.id}.ics")


@bp.route("/<int:conference_id>/reschedule", methods=["GET", "POST"])
@coordinator_required
def reschedule(conference_id: int):
    conference = services.get_conference(conference_id) or abort(404)
    form = RescheduleForm()
    if request.method == "GET":
        local_start = conference.starts_at.astimezone(services.unit_tz())
        form.date.data = local_start.date()
        form.start_time.data = local_start.time()
        form.end_time.data = conference.ends_at.astimezone(services.unit_tz()).time()
        form.location.data = conference.location
        form.video_link.data = conference.video_link
        form.version.data = conference.version
    if form.validate_on_submit():
        try:
            services.reschedule_conference(
                conference,
                actor=current_user,
                starts_at=_local(form.date.data, form.start_time.data),
                ends_at=_local(form.date.data, form.end_time.data),
                location=form.location.data or None,
                video_link=form.video_link.data or None,
                expected_version=form.version.data,
            )
            db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
        except (StaleEdit, StaleDataError):
            transaction.refuse()
            conference = services.get_conference(conference_id)
            form.version.data = conference.version  # saving again now replaces it knowingly
            form.form_errors.append(
                _(
                    "Someone else changed this meeting while you were editing. What you typed is kept below; "
                    "the meeting as it is saved now is shown beside it. Save again to move it to your time."
                )
            )
            return render_template(
                "conferences/reschedule.html", form=form, conference=conference, series=None, stored=conference
            ), 409
        except services.BookingError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Meeting moved; updated invitations are on their way."), "success")
            _warn_room_clashes([conference])
            return redirect(url_for("conferences.detail", conference_id=conference.id))
    return render_template(
        "conferences/reschedule.html", form=form, conference=conference, series=None
    ), 400 if form.is_submitted() else 200


@bp.route("/<int:conference_id>/cancel", methods=["POST"])
@coordinator_required
def cancel(conference_id: int):
    conference = services.get_conference(conference_id) or abort(404)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_detail(conference, cancel_form=form, status=400)
    try:
        services.cancel_conference(
            conference, actor=current_user, reason=form.reason.data or None, cases_to=form.cases_to.data or None
        )
    except services.BookingError as error:
        transaction.refuse()
        add_error(form, error)
        return render_detail(conference, cancel_form=form, status=400)
    flash(_("Meeting cancelled; everyone invited is told."), "success")
    return redirect(url_for("conferences.detail", conference_id=conference.id))


@bp.route("/<int:conference_id>/respond", methods=["POST"])
@clinical_staff_required
def respond(conference_id: int):
    conference = services.get_conference(conference_id) or abort(404)
    form = RespondForm()
    if not form.validate_on_submit():
        flash(_("Choose attending, maybe or not attending."), "error")
        return render_detail(conference, status=400)
    try:
        services.respond(conference, current_user, Response(form.response.data))
    except services.BookingError as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(url_for("conferences.detail", conference_id=conference.id)), 303
    else:
        flash(_("Your answer is saved."), "success")
    return redirect(url_for("conferences.detail", conference_id=conference.id))


@bp.route("/series/<int:series_id>")
@clinical_staff_required
def series_detail(series_id: int):
    series = db.session.get(ConferenceSeries, series_id) or abort(404)
    return _render_series(series)


def _render_series(series, *, cancel_form=None, message: str | None = None, status: int = 200):
    upcoming = services.upcoming_in_series(series)
    if cancel_form is None:
        cancel_form = SeriesCancelForm(formdata=None)
    cancel_form.count.data, cancel_form.version.data = len(upcoming), series.version
    return render_template(
        "conferences/series.html",
        series=series,
        end_date=services.series_end_date(series),
        interval_weeks=services.series_interval_weeks(series),
        planned=services.planned_starts(series),
        upcoming_count=len(upcoming),
        cancel_form=cancel_form,
        cancel_message=message,
        invite_form=_invite_form({p.user_id for p in series.participants}),
    ), status


def _invite_form(already: set[int]) -> InviteForm:
    form = InviteForm()
    users = [u for group in people.users_by_specialty().values() for u in group if u.id not in already]
    form.user.choices = options(
        (u.id, f"{u.name} ({u.specialty_label or u.role_label})") for u in sorted(users, key=lambda u: u.name)
    )
    return form


def _invite(invite, target_url: str, already: set[int]):
    form = _invite_form(already)
    if not form.validate_on_submit():
        flash(_("Choose someone to invite."), "error")
        return redirect(target_url)
    user = db.session.get(User, form.user.data) or abort(404)
    try:
        invite(user, InvitationRole(form.role.data))
    except (services.BookingError, RecipientNotAllowed) as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(target_url), 303
    flash(_("%(name)s is invited; the invitation is on its way.", name=user.name), "success")
    return redirect(target_url)


@bp.route("/<int:conference_id>/invite", methods=["POST"])
@coordinator_required
def invite(conference_id: int):
    conference = services.get_conference(conference_id) or abort(404)
    return _invite(
        lambda user, role: services.invite_to_conference(conference, user, role, actor=current_user),
        url_for("conferences.detail", conference_id=conference.id),
        {i.user_id for i in conference.invitations},
    )


@bp.route("/<int:conference_id>/invite-specialty", methods=["POST"])
@coordinator_required
def invite_specialty(conference_id: int):
    """One click: invite the specialty the case list needs and nobody invited has."""
    from conference.people.models import Specialty

    conference = services.get_conference(conference_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = request.form.get("specialty", "")
    if name not in Specialty.__members__:
        abort(400)
    try:
        added = services.invite_specialty(conference, Specialty(name), actor=current_user)
    except (services.BookingError, RecipientNotAllowed) as error:
        transaction.refuse()
        flash(str(error), "error")
        return redirect(url_for("conferences.detail", conference_id=conference.id) + "#agenda"), 303
    flash(_("Invited: %(names)s.", names=", ".join(i.user.name for i in added)), "success")
    return redirect(url_for("conferences.detail", conference_id=conference.id) + "#agenda")


@bp.route("/series/<int:series_id>/invite", methods=["POST"])
@coordinator_required
def series_invite(series_id: int):
    series = db.session.get(ConferenceSeries, series_id) or abort(404)
    return _invite(
        lambda user, role: services.invite_to_series(series, user, role, actor=current_user),
        url_for("conferences.series_detail", series_id=series.id),
        {p.user_id for p in series.participants},
    )


@bp.route("/series/<int:series_id>.ics")
@clinical_staff_required
def series_download(series_id: int):
    series = db.session.get(ConferenceSeries, series_id) or abort(404)
    return _ics_response(services.series_calendar(series, None, rsvp=False), f"mdt-series-{series.id}.ics")


@bp.route("/series/<int:series_id>/reschedule", methods=["GET", "POST"])
@coordinator_required
def series_reschedule(series_id: int):
    series = db.session.get(ConferenceSeries, series_id) or abort(404)
    form = SeriesRescheduleForm()
    if request.method == "GET":
        form.version.data = series.version
        form.repeat.data = str(services.series_interval_weeks(series))
        form.until.data = services.series_end_date(series)  # moving keeps the end date unless it is changed
    if form.validate_on_submit():
        start = _local(form.date.data, form.start_time.data)
        end = _local(form.date.data, form.end_time.data)
        try:
            services.reschedule_series(
                series,
                actor=current_user,
                first_start=start,
                duration_minutes=int((end - start).total_seconds() // 60),
                rrule=services.weekly_rrule(start, int(form.repeat.data), form.until.data),
                expected_version=form.version.data,
            )
            db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
        except (StaleEdit, StaleDataError):
            transaction.refuse()
            series = db.session.get(ConferenceSeries, series_id)
            form.version.data = series.version
            form.form_errors.append(
                _(
                    "Someone else changed this series while you were editing. What you typed is kept below; "
                    "the series as it is saved now is shown beside it. Save again to move it to your time."
                )
            )
            return render_template(
                "conferences/reschedule.html", form=form, conference=None, series=series, stored=series
            ), 409
        except services.BookingError as error:
            transaction.refuse()
            add_error(form, error)
        else:
            flash(_("Series moved; updated invitations are on their way."), "success")
            return redirect(url_for("conferences.series_detail", series_id=series.id))
    return render_template(
        "conferences/reschedule.html", form=form, conference=None, series=series
    ), 400 if form.is_submitted() else 200


@bp.route("/series/<int:series_id>/cancel", methods=["POST"])
@coordinator_required
def series_cancel(series_id: int):
    series = db.session.get(ConferenceSeries, series_id) or abort(404)
    form = SeriesCancelForm()
    if not form.validate_on_submit():
        return _render_series(series, cancel_form=form, message=_("The form was damaged: reload the page."), status=400)
    try:
        services.cancel_series(
            series, actor=current_user, expected_count=form.count.data, expected_version=form.version.data
        )
        db.session.flush()  # a racing save surfaces here, where the typed input is still at hand
    except (StaleEdit, StaleDataError):
        transaction.refuse()
        series = db.session.get(ConferenceSeries, series_id)
        message = _("The series changed since the page was shown: check the number of meetings, then confirm again.")
        return _render_series(series, message=message, status=409)
    flash(_("Series cancelled; everyone invited is told."), "success")
    return redirect(url_for("conferences.series_detail", series_id=series.id))


# --- personal calendar feed -------------------------------------------------------------------------------


@bp.route("/calendar-feed", methods=["GET", "POST"])
@signed_in_required
def feed_settings():
    form = EmptyForm()
    if form.validate_on_submit():
        if request.form.get("action") == "revoke":
            people.revoke_calendar_token(current_user)
            flash(_("Your calendar feed address no longer works."), "success")
        else:
            people.new_calendar_token(current_user)
            flash(_("New calendar feed address created; the old one no longer works."), "success")
        return redirect(url_for("conferences.feed_settings"))
    feed_url = (
        url_for("conferences.feed", token=current_user.calendar_token, _external=True)
        if current_user.calendar_token
        else None
    )
    return render_template("conferences/feed.html", form=form, feed_url=feed_url)


FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@bp.route("/feed/<token>.ics")
@token_route
def feed(token: str):
    """Calendar apps poll this without a session: the secret token in the URL is the credential."""
    # A token is URL-safe base64; anything else (a NUL byte, which PostgreSQL refuses in text) is no token.
    if not FEED_TOKEN.fullmatch(token):
        abort(404)
    user = people.by_calendar_token(token) or abort(404)
    from conference.rehab import services as rehab

    return HTTPResponse(services.feed_for_user(user, extra=rehab.visit_events(user)), mimetype="text/calendar")
