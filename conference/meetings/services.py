"""The meeting: attendance, decisions, rehabilitation plans, action items. This module owns "the record is
locked": minutes.sign() calls lock(), an amendment calls unlock(); database triggers refuse changes to a locked
meeting's decisions, plans, attendance and action items (migration 0006). Recording opens at the meeting's start
(RECORDING_OPENS_MINUTES_BEFORE earlier)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from conference import policy
from conference.agenda import services as case_list
from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.audit import services as audit
from conference.cases import services as cases
from conference.cases.models import Case, CaseStatus, treatment_note
from conference.conferences.models import Conference, ConferenceStatus, Invitation
from conference.db import StaleEdit, check_version, utcnow
from conference.extensions import db
from conference.meetings import rehab
from conference.meetings.models import (
    DEVICE_LABELS,
    ActionItem,
    ActionStatus,
    Attendance,
    AttendanceStatus,
    Decision,
    MeetingRecord,
    MeetingRoom,
    PatientResponse,
    RehabPlan,
    Treatment,
    WeightBearing,
)
from conference.meetings.signals import rehab_plan_saved
from conference.people.models import Specialty, User


class MeetingError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class MinutesLocked(MeetingError):
    """The minutes are signed: changes need an amendment."""


class RecordingNotOpen(MeetingError):
    """The meeting has not started (or was cancelled): nothing can be recorded yet."""


ConcurrentEdit = StaleEdit  # one optimistic-locking mechanism for the whole app (conference.db)


# --- the meeting's record: lock and attendance version ----------------------------------------------------


def meeting_record(conference: Conference) -> MeetingRecord:
    """The conference's meeting record, created by the first save that needs it. Two first saves at the same moment
    both find it afterwards (the second insert does nothing) and meet at the record's version, not at a duplicate."""
    record = db.session.get(MeetingRecord, conference.id)
    if record is None:
        _insert_unless_there(MeetingRecord, conference_id=conference.id, locked=False, attendance_version=0)
        record = db.session.get(MeetingRecord, conference.id)
    return record


def _insert_unless_there(model, **values) -> None:
    """Insert a row keyed by its primary key, or nothing if a simultaneous request inserted it first (INSERT ... ON
    CONFLICT DO NOTHING, which SQLite and PostgreSQL both know): a per-meeting row made on first use."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def attendance_version(conference: Conference) -> int:
    """The version of the attendance list a page shows (0 until anything is recorded). Reading creates nothing."""
    version = db.session.scalar(
        select(MeetingRecord.attendance_version).where(MeetingRecord.conference_id == conference.id)
    )
    return version or 0


# --- the meeting room: the case on the big screen, and a revision followers poll -----------------------------


def touch(conference_id: int, *, current_item_id: int | None = None, image_id: int | None | bool = False) -> None:
    """Something in the meeting changed (or the presenter moved to another case, or opened an image): bump the
    room's revision so every follower's page fetches the new state. One UPDATE, so concurrent changes never lose a
    bump. Moving to another case closes the open image; `image_id` (an id, or None to close) opens one."""
    values: dict = {"revision": MeetingRoom.revision + 1}
    if current_item_id is not None:
        values |= {"current_item_id": current_item_id, "current_since": utcnow(), "current_image_id": None}
    if image_id is not False:
        values["current_image_id"] = image_id
    bump = update(MeetingRoom).where(MeetingRoom.conference_id == conference_id).values(**values)
    if not db.session.execute(bump).rowcount:
        _insert_unless_there(MeetingRoom, conference_id=conference_id, revision=0)
        db.session.execute(bump)


@dataclass
class RoomState:
    revision: int
    current_item_id: int | None
    current_since: datetime | None
    current_image_id: int | None = None


def room_state(conference_id: int) -> RoomState:
    """What followers poll: one primary-key read."""
    row = db.session.execute(
        select(
            MeetingRoom.revision, MeetingRoom.current_item_id, MeetingRoom.current_since, MeetingRoom.current_image_id
        ).where(MeetingRoom.conference_id == conference_id)
    ).first()
    return RoomState(*row) if row else RoomState(0, None, None)


def present(conference: Conference, item: AgendaItem, actor: User) -> None:
    """The presenter opened a case in presentation mode: it is now the current case for every follower."""
    if policy.can_present(actor, conference) and room_state(conference.id).current_item_id != item.id:
        touch(conference.id, current_item_id=item.id)


def open_image(conference: Conference, item: AgendaItem, image_id: int | None, actor: User) -> None:
    """The presenter opened one of the case's images (None: closed it): every follower's screen shows it. The
    caller has checked that the image belongs to the item's case."""
    if not policy.can_present(actor, conference):
        raise MeetingError(_("Only the one presenting opens images for everyone."))
    if room_state(conference.id).current_item_id != item.id:
        touch(conference.id, current_item_id=item.id)
    touch(conference.id, image_id=image_id)


def is_locked(conference: Conference) -> bool:
    record = db.session.get(MeetingRecord, conference.id)
    return record is not None and record.locked


def lock(conference: Conference, actor: User | None) -> None:
    """Freeze the meeting's record (the minutes were signed)."""
    record = meeting_record(conference)
    record.locked, record.locked_at, record.locked_by_id = True, utcnow(), actor.id if actor else None
    db.session.flush()
    touch(conference.id)
    audit.record(actor, "meeting.lock", "conference", conference.id)


def unlock(conference: Conference, actor: User) -> None:
    """Open the record for an amendment (the database allows it only while a later draft version exists)."""
    record = meeting_record(conference)
    record.locked = False
    db.session.flush()
    touch(conference.id)
    audit.record(actor, "meeting.unlock", "conference", conference.id)


def _check_unlocked(conference: Conference) -> None:
    if is_locked(conference):
        raise MinutesLocked(_("The minutes are signed; decisions can only change through an amendment."))


def recording_opens_at(conference: Conference):
    return conference.starts_at - timedelta(minutes=current_app.config["RECORDING_OPENS_MINUTES_BEFORE"])


def recording_open(conference: Conference) -> bool:
    return conference.status is not ConferenceStatus.cancelled and utcnow() >= recording_opens_at(conference)


def has_started(conference: Conference) -> bool:
    """The meeting's start has passed (recording opens earlier, signing only now)."""
    return utcnow() >= conference.starts_at


def check_can_record(conference: Conference) -> None:
    """Refuse recording on a locked, cancelled or not yet started meeting."""
    _check_unlocked(conference)
    if conference.status is ConferenceStatus.cancelled:
        raise RecordingNotOpen(_("The meeting was cancelled."))
    if not recording_open(conference):
        raise RecordingNotOpen(
            _(
                "Recording opens when the meeting starts (%(when)s).",
                when=format_datetime(recording_opens_at(conference), "short"),
            )
        )


# --- attendance -------------------------------------------------------------------------------------------


def attendance(conference: Conference) -> dict[int, Attendance]:
    rows = db.session.scalars(
        select(Attendance).where(Attendance.conference_id == conference.id).options(joinedload(Attendance.user))
    )
    return {row.user_id: row for row in rows}


def set_attendance(
    conference: Conference,
    statuses: dict[int, AttendanceStatus],
    actor: User,
    expected_version: int | None = None,
) -> None:
    """Record present / remote / absent for invited users. The list has one version: a save from a page that
    showed an older list raises StaleEdit (the conditional UPDATE also catches simultaneous saves)."""
    check_can_record(conference)
    record = meeting_record(conference)
    if expected_version is not None:
        bumped = db.session.execute(
            update(MeetingRecord)
            .where(MeetingRecord.conference_id == conference.id, MeetingRecord.attendance_version == expected_version)
            .values(attendance_version=expected_version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if bumped != 1:
            db.session.refresh(record)
            raise StaleEdit(record)
        db.session.refresh(record)
    else:
        record.attendance_version += 1
    invited = {i.user_id for i in conference.invitations}
    existing = attendance(conference)
    for user_id, status in statuses.items():
        if user_id not in invited:
            continue
        if user_id in existing:
            existing[user_id].status = status
        else:
            db.session.add(Attendance(conference_id=conference.id, user_id=user_id, status=status))
    db.session.flush()
    touch(conference.id)
    audit.record(actor, "meeting.attendance", "conference", conference.id)


@dataclass
class Warning:
    item: AgendaItem
    missing: list[str]


def attendance_warnings(
    items: list[AgendaItem], present: dict[int, Attendance], invitations: list[Invitation]
) -> list[Warning]:
    """Cases whose required specialties have nobody present (in the room or remote)."""
    users = {i.user_id: i.user for i in invitations}
    here = {
        users[uid].specialty
        for uid, row in present.items()
        if row.status is not AttendanceStatus.absent and uid in users and users[uid].specialty
    }
    warnings = []
    for item in items:
        missing = [Specialty(s).label for s in item.case.required_specialties or [] if Specialty(s) not in here]
        if missing:
            warnings.append(Warning(item, missing))
    return warnings


# --- decisions --------------------------------------------------------------------------------------------


@dataclass
class DecisionInput:
    treatment: Treatment
    rationale: str
    patient_wishes: str | None
    follow_up_on: date | None
    patient_response: PatientResponse


def decision_for_item(item_id: int) -> Decision | None:
    return db.session.scalar(
        select(Decision)
        .where(Decision.agenda_item_id == item_id)
        .options(selectinload(Decision.action_items), joinedload(Decision.rehab_plan))
    )


def record_decision(
    item: AgendaItem, data: DecisionInput, actor: User, expected_version: int | None = None
) -> Decision:
    """Record (or change, before signing) the decision on a case. The case becomes decided, with its follow-up.
    `expected_version` is the version the form showed (0: no decision yet); a stale one raises StaleEdit."""
    conference = item.conference
    check_can_record(conference)
    if not (data.rationale or "").strip():
        raise MeetingError(_("Write the rationale for the decision."), "rationale")
    if data.follow_up_on is not None and data.follow_up_on < conference.starts_at.date():
        raise MeetingError(_("The follow-up date is before the meeting."), "follow_up_on")
    decision = decision_for_item(item.id)
    check_version(decision, expected_version)
    if decision is None:
        decision = Decision(
            agenda_item_id=item.id, case_id=item.case_id, conference_id=item.conference_id, recorded_by_id=actor.id
        )
        db.session.add(decision)
    decision.updated_at = utcnow()  # every save moves the version, a plan-only change too
    decision.treatment = data.treatment
    decision.rationale = data.rationale.strip()
    decision.patient_wishes = data.patient_wishes
    decision.follow_up_on = data.follow_up_on
    decision.patient_response = data.patient_response
    decision.recorded_by_id = actor.id
    case = item.case
    decision.prediction = cases.predict(case).as_record()  # what the conference saw, kept for the minutes
    case_list.mark_discussed(item)
    if case.status is CaseStatus.listed:
        cases.set_outcome_status(case, CaseStatus.discussed, actor)
    cases.set_outcome_status(case, CaseStatus.decided, actor, note=treatment_note(decision.treatment.value))
    if data.treatment is Treatment.rediscuss:  # back to the queue, to be listed again
        cases.set_outcome_status(case, CaseStatus.ready, actor, note=treatment_note(decision.treatment.value))
    case.follow_up_on = data.follow_up_on
    db.session.flush()
    audit.record(
        actor,
        "meeting.decision",
        "case",
        case.id,
        patient_id=case.patient_id,
        detail={"conference": conference.id, "treatment": data.treatment.value},
    )
    return decision


def still_waiting(conference: Conference) -> list[AgendaItem]:
    """The cases on the list with no decision that are not deferred yet (what "defer the rest" would move)."""
    decided = set(db.session.scalars(select(Decision.agenda_item_id).where(Decision.conference_id == conference.id)))
    return [
        item
        for item in cases.agenda(conference).items
        if item.id not in decided and item.outcome is AgendaOutcome.pending
    ]


def defer_remaining(conference: Conference, actor: User) -> int:
    """The chair stops here: every case still waiting (no decision, not deferred) rolls to the next conference
    when the minutes are signed. Returns how many."""
    check_can_record(conference)
    waiting = still_waiting(conference)
    for item in waiting:
        case_list.defer(item, actor)
    if waiting:
        touch(conference.id)
    return len(waiting)


def defer(item: AgendaItem, actor: User) -> None:
    """The case was not reached: it rolls to the next conference when the minutes are signed."""
    check_can_record(item.conference)
    if decision_for_item(item.id) is not None:
        raise MeetingError(_("This case already has a decision."))
    case_list.defer(item, actor)
    touch(item.conference_id)


@dataclass
class RehabInput:
    weight_bearing: WeightBearing
    walking_aids: str | None = None
    physiotherapy: str | None = None
    occupational_therapy: str | None = None
    home_exercises: str | None = None
    surgery_on: date | None = None
    latency_days: int | None = None
    rate_mm_per_day: float | None = None
    target_mm: float | None = None
    healing_index_days_per_cm: float | None = None
    distraction_visit_days: int | None = None
    consolidation_visit_days: int | None = None
    bone: str | None = None  # femur | tibia | both
    device: str | None = None  # magnetic_nail | motorised_nail | monolateral_frame | circular_frame
    rhythm: str | None = None


def plan_defaults(device: str | None, bone: str | None, adult: bool) -> dict | None:
    """Latency, rate and healing index for a device x bone x child/adult from REHAB_DEFAULTS (DOMAIN.md values);
    both bones take the slower of the two. None when the table has no row."""
    table = current_app.config["REHAB_DEFAULTS"]
    group = "adult" if adult else "child"
    bones = ("femur", "tibia") if bone == "both" else (bone,)
    rows = [table.get(f"{device}:{b}:{group}") for b in bones]
    if not device or not bone or any(row is None for row in rows):
        return None
    slowest = max(rows, key=lambda r: r["healing_index"])
    return {
        "latency_days": max(r["latency_days"] for r in rows),
        "rate": min(r["rate"] for r in rows),
        "healing_index": slowest["healing_index"],
        "index": slowest["index"],
    }


def is_adult_at(plan_or_case, on: date | None) -> bool:
    patient = plan_or_case.patient
    return patient.age_on(on or utcnow().date()) >= current_app.config["REHAB_ADULT_FROM_AGE"]


def index_in_use(plan: RehabPlan) -> tuple[float, str]:
    """The healing index the dates use, and which index it is (the plan's own, the table's, or the unit's)."""
    defaults = plan_defaults(plan.device, plan.bone, is_adult_at(plan.decision.case, plan.surgery_on))
    if plan.healing_index_days_per_cm is not None:
        if defaults and abs(defaults["healing_index"] - plan.healing_index_days_per_cm) < 1e-9:
            return plan.healing_index_days_per_cm, defaults["index"]
        return plan.healing_index_days_per_cm, "plan"
    return current_app.config["HEALING_INDEX_DAYS_PER_CM"], "unit"


def save_rehab_plan(decision: Decision, data: RehabInput, actor: User) -> RehabPlan:
    """Attach or update the rehabilitation plan. With a device and a bone, empty latency, rate and healing index
    take the unit's defaults for that device x bone x child/adult; for lengthening, the distraction inputs must
    then be complete."""
    check_can_record(decision.conference)
    if data.bone not in (None, "femur", "tibia", "both"):
        raise MeetingError(_("Choose femur, tibia or both."), "bone")
    if data.device not in (None, *DEVICE_LABELS):
        raise MeetingError(_("Choose a device from the list."), "device")
    defaults = plan_defaults(data.device, data.bone, is_adult_at(decision.case, data.surgery_on))
    if defaults is not None and data.surgery_on is not None:
        if data.latency_days is None:
            data.latency_days = defaults["latency_days"]
        if data.rate_mm_per_day is None:
            data.rate_mm_per_day = defaults["rate"]
        if data.healing_index_days_per_cm is None:
            data.healing_index_days_per_cm = defaults["healing_index"]
    distraction = (data.surgery_on, data.latency_days, data.rate_mm_per_day, data.target_mm)
    if any(v is not None for v in distraction) and not all(v is not None for v in distraction):
        raise MeetingError(_("A distraction plan needs the surgery date, latency, rate and target."), "surgery_on")
    plan = decision.rehab_plan or RehabPlan(decision=decision)
    for key, value in vars(data).items():
        setattr(plan, key, value)
    db.session.add(plan)
    db.session.flush()
    if plan.surgery_on is not None:
        compute_plan(plan)  # refuse impossible inputs now, not when the minutes are built
    rehab_plan_saved.send(plan)
    audit.record(actor, "meeting.rehab_plan", "case", decision.case_id, patient_id=decision.case.patient_id)
    return plan


def compute_plan(plan: RehabPlan) -> rehab.DistractionPlan | None:
    if plan.surgery_on is None:
        return None
    cfg = current_app.config
    try:
        return rehab.distraction_plan(
            surgery_on=plan.surgery_on,
            latency_days=plan.latency_days,
            rate_mm_per_day=plan.rate_mm_per_day,
            target_mm=plan.target_mm,
            healing_index_days_per_cm=index_in_use(plan)[0],
            distraction_visit_days=plan.distraction_visit_days or cfg["REHAB_VISIT_INTERVAL_DISTRACTION_DAYS"],
            consolidation_visit_days=plan.consolidation_visit_days or cfg["REHAB_VISIT_INTERVAL_CONSOLIDATION_DAYS"],
            rate_warning_above=cfg["DISTRACTION_RATE_WARNING_MM_PER_DAY"],
        )
    except ValueError as error:
        raise MeetingError(_("The distraction plan is not possible: %(error)s.", error=str(error)), "rate_mm_per_day")


@dataclass
class ActionInput:
    description: str
    owner_id: int | None
    due_on: date | None


def record_case_outcome(
    item: AgendaItem,
    decision: DecisionInput,
    rehab: RehabInput | None,
    action: ActionInput | None,
    *,
    actor: User,
    expected_version: int | None = None,
) -> Decision:
    """What the decision page saves in one go: the decision, the rehabilitation plan if one is given, and a new
    action item (owned by someone invited, or the recorder)."""
    saved = record_decision(item, decision, actor, expected_version=expected_version)
    if rehab is not None:
        save_rehab_plan(saved, rehab, actor)
    if action is not None:
        add_action(
            item.conference,
            owner=action_owner(action.owner_id, field="action_owner"),
            description=action.description,
            due_on=action.due_on,
            actor=actor,
            decision=saved,
        )
    touch(item.conference_id)
    return saved


# --- action items -----------------------------------------------------------------------------------------


def action_owners() -> list[User]:
    """Who may own an action: anyone active in the unit (a nurse, a therapist or a secretary who was not at the
    meeting does much of the follow-up work), by name."""
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def action_owner(user_id: int | None, *, field: str = "owner") -> User:
    """The owner chosen for an action: an active user, or a field error."""
    owner = db.session.get(User, user_id) if user_id else None
    if owner is None or not owner.active:
        raise MeetingError(_("Choose who owns the action."), field)
    return owner


def add_action(
    conference: Conference,
    *,
    owner: User,
    description: str,
    due_on: date | None,
    actor: User,
    decision: Decision | None = None,
) -> ActionItem:
    description = (description or "").strip()
    if not description:
        raise MeetingError(_("Describe the action."), "action_description")
    check_can_record(conference)
    action = ActionItem(
        conference_id=conference.id,
        decision=decision,
        owner_id=owner.id,
        description=description,
        due_on=due_on,
        status=ActionStatus.open,
    )
    db.session.add(action)
    db.session.flush()
    touch(conference.id)
    audit.record(actor, "meeting.action", "conference", conference.id, detail={"owner": owner.id})
    return action


def complete_action(action: ActionItem, actor: User) -> None:
    """Close an action: follow-up work after the meeting, allowed on a signed meeting too. The signed minutes
    keep showing it open as it was at signing; who closed it and when is recorded here and in the audit log."""
    from conference import policy

    if not policy.can_complete_action(actor, action):
        raise MeetingError(_("Only the owner, the chair or a coordinator can close this action."))
    if action.status is ActionStatus.done:
        return
    action.status = ActionStatus.done
    action.done_at = utcnow()
    action.done_by_id = actor.id
    audit.record(actor, "meeting.action_done", "conference", action.conference_id, detail={"action": action.id})


def actions_of(conference_id: int) -> list[ActionItem]:
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.conference_id == conference_id)
            .options(
                joinedload(ActionItem.owner),
                joinedload(ActionItem.decision).joinedload(Decision.case).joinedload(Case.patient),
            )
            .order_by(ActionItem.id)
        )
    )


def open_actions_before(conference: Conference) -> list[ActionItem]:
    """Open action items of earlier meetings, shown at the start of this one."""
    return list(
        db.session.scalars(
            select(ActionItem)
            .join(ActionItem.conference)
            .where(ActionItem.status == ActionStatus.open, Conference.starts_at < conference.starts_at)
            .options(
                joinedload(ActionItem.owner),
                joinedload(ActionItem.conference),
                joinedload(ActionItem.decision).joinedload(Decision.case).joinedload(Case.patient),
            )
            .order_by(ActionItem.due_on)
        )
    )


def open_actions_of_cases(conference: Conference, case_ids: set[int]) -> list[ActionItem]:
    """Open action items of earlier meetings about these cases (the minutes name no other patient)."""
    if not case_ids:
        return []
    return list(
        db.session.scalars(
            select(ActionItem)
            .join(ActionItem.conference)
            .join(ActionItem.decision)
            .where(
                ActionItem.status == ActionStatus.open,
                Conference.starts_at < conference.starts_at,
                Decision.case_id.in_(case_ids),
            )
            .options(
                joinedload(ActionItem.owner),
                joinedload(ActionItem.decision).joinedload(Decision.case).joinedload(Case.patient),
            )
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    )


def open_actions_for(user: User) -> list[ActionItem]:
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.owner_id == user.id, ActionItem.status == ActionStatus.open)
            .options(
                joinedload(ActionItem.conference),
                joinedload(ActionItem.decision).joinedload(Decision.case).joinedload(Case.patient),
            )
            .order_by(ActionItem.due_on)
        )
    )


def decisions_for_case(case_id: int) -> list[Decision]:
    """Earlier decisions on a case, newest first, for the case summary."""
    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.case_id == case_id)
            .options(joinedload(Decision.conference), joinedload(Decision.rehab_plan))
            .order_by(Decision.created_at.desc())
        )
    )


# --- the live page ----------------------------------------------------------------------------------------


@dataclass
class MeetingView:
    conference: Conference
    items: list[AgendaItem]
    decisions: dict[int, Decision]
    attendance: dict[int, Attendance]
    warnings: list[Warning]
    earlier_actions: list[ActionItem]
    actions: list[ActionItem]
    repeatedly_absent: list[User]


def meeting_view(conference: Conference, *, measurements: str = "newest") -> MeetingView:
    """Everything the live meeting page shows, in a fixed number of queries (`measurements`: "all" for the minutes'
    predictions; the pages show the newest only)."""
    items = cases.agenda(conference, measurements=measurements).items
    decisions = {
        d.agenda_item_id: d
        for d in db.session.scalars(
            select(Decision)
            .where(Decision.conference_id == conference.id)
            .options(joinedload(Decision.rehab_plan), selectinload(Decision.action_items).joinedload(ActionItem.owner))
        )
    }
    present = attendance(conference)
    return MeetingView(
        conference=conference,
        items=items,
        decisions=decisions,
        attendance=present,
        warnings=attendance_warnings(items, present, conference.invitations),
        earlier_actions=open_actions_before(conference),
        actions=actions_of(conference.id),
        repeatedly_absent=repeatedly_absent(conference),
    )


def repeatedly_absent(conference: Conference) -> list[User]:
    """Invited people recorded absent at each of the last REPEATED_ABSENCE_MEETINGS held meetings of the series
    (MDT standards ask the coordinator to follow up repeated non-attendance)."""
    count = current_app.config["REPEATED_ABSENCE_MEETINGS"]
    if conference.series_id is None or count < 1:
        return []
    held = list(
        db.session.scalars(
            select(Conference.id)
            .where(
                Conference.series_id == conference.series_id,
                Conference.status == ConferenceStatus.held,
                Conference.starts_at < conference.starts_at,
            )
            .order_by(Conference.starts_at.desc())
            .limit(count)
        )
    )
    if len(held) < count:
        return []
    invited = {i.user_id for i in conference.invitations}
    absent_everywhere = db.session.scalars(
        select(Attendance.user_id)
        .where(Attendance.conference_id.in_(held), Attendance.status == AttendanceStatus.absent)
        .group_by(Attendance.user_id)
        .having(func.count(Attendance.id) == count)
    )
    ids = [uid for uid in absent_everywhere if uid in invited]
    return [i.user for i in conference.invitations if i.user_id in ids]
