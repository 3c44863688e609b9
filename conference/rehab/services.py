"""The rehabilitation team's work from the decision to the end of consolidation: visits from the distraction plan
(assigned to a named therapist), follow-up records, planned against achieved length with flags, occupational
therapy's adaptations, worklists, and the visits in calendars. Plain arguments in, objects out; never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from conference import policy
from conference.audit import services as audit
from conference.db import check_version, local_today
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import Decision, RehabPlan, WeightBearing
from conference.meetings.signals import rehab_plan_saved
from conference.people import services as people
from conference.people.models import Specialty, User
from conference.rehab.models import COMPLICATIONS, Adaptation, AdaptationKind, FollowUp, PinSites, RehabVisit

THERAPISTS = (Specialty.physiotherapist, Specialty.occupational_therapist)
PHASES = ("waiting", "latency", "distraction", "consolidation", "done")


class RehabError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- the plan over time ---------------------------------------------------------------------------------------


def phase_on(plan: RehabPlan, day: date) -> str:
    """waiting (for surgery), latency, distraction, consolidation or done, on a day."""
    computed = meetings.compute_plan(plan)
    if computed is None or day < computed.surgery_on:
        return "waiting"
    if day < computed.distraction_start:
        return "latency"
    if day <= computed.distraction_end:
        return "distraction"
    if day < computed.consolidation_end:
        return "consolidation"
    return "done"


def planned_mm_on(plan: RehabPlan, day: date) -> float:
    """The length the plan expects on a day: rate x days of distraction so far, up to the target."""
    computed = meetings.compute_plan(plan)
    if computed is None or day < computed.distraction_start:
        return 0.0
    days = (min(day, computed.distraction_end) - computed.distraction_start).days + 1
    return min(plan.target_mm, days * plan.rate_mm_per_day)


# --- visits -------------------------------------------------------------------------------------------------


def schedule_visits(plan: RehabPlan) -> list[RehabVisit]:
    """Bring the plan's visit rows in line with its computed visits: dates that moved get SEQUENCE+1 (calendars
    update), new ones are added, ones the plan no longer has are removed unless a follow-up refers to them.
    Assignments to therapists are kept by visit number. Safe to run any number of times."""
    computed = meetings.compute_plan(plan)
    wanted = computed.visits if computed else []
    existing = {v.number: v for v in db.session.scalars(select(RehabVisit).where(RehabVisit.plan_id == plan.id))}
    for number, (day, phase) in enumerate(wanted, start=1):
        visit = existing.pop(number, None)
        if visit is None:
            db.session.add(RehabVisit(plan_id=plan.id, number=number, planned_on=day, phase=phase, ical_sequence=0))
        elif visit.planned_on != day or visit.phase != phase:
            visit.planned_on, visit.phase = day, phase
            visit.ical_sequence += 1
    recorded = set(db.session.scalars(select(FollowUp.visit_id).where(FollowUp.plan_id == plan.id)))
    for visit in existing.values():
        if visit.id not in recorded:
            db.session.delete(visit)
    db.session.flush()
    return visits_of(plan)


@rehab_plan_saved.connect
def _visits_follow_the_plan(plan: RehabPlan) -> None:
    schedule_visits(plan)


def visits_of(plan: RehabPlan) -> list[RehabVisit]:
    return list(
        db.session.scalars(
            select(RehabVisit)
            .where(RehabVisit.plan_id == plan.id)
            .options(joinedload(RehabVisit.therapist))
            .order_by(RehabVisit.planned_on)
        )
    )


def assign_visit(visit: RehabVisit, therapist: User | None, actor: User, expected_version: int | None = None) -> None:
    """Give a visit to a named physiotherapist or occupational therapist (or take it back: None)."""
    check_version(visit, expected_version)
    if therapist is not None and therapist.specialty not in THERAPISTS:
        raise RehabError(_("Visits go to a physiotherapist or an occupational therapist."), "therapist")
    visit.therapist_id = therapist.id if therapist else None
    visit.ical_sequence += 1
    db.session.flush()
    case = visit.plan.decision.case
    audit.record(actor, "rehab.assign", "case", case.id, patient_id=case.patient_id, detail={"visit": visit.id})


def therapists() -> list[User]:
    return people.active_with_specialty(THERAPISTS)


# --- follow-up ------------------------------------------------------------------------------------------------


@dataclass
class FollowUpInput:
    seen_on: date
    achieved_mm: float | None = None
    knee_flexion_deg: float | None = None
    knee_extension_deficit_deg: float | None = None
    ankle_dorsiflexion_deg: float | None = None
    weight_bearing: str | None = None
    pin_sites: str | None = None
    pain: int | None = None
    complications: list[str] = field(default_factory=list)
    consolidated: bool = False
    notes: str | None = None
    visit_id: int | None = None


def record_followup(plan: RehabPlan, data: FollowUpInput, actor: User) -> FollowUp:
    """What a visit found. The achieved length cannot exceed the target by more than the tolerance."""
    followup = _followup(plan, data, therapist_id=actor.id)
    db.session.add(followup)
    db.session.flush()
    case = plan.decision.case
    audit.record(actor, "rehab.followup", "case", case.id, patient_id=case.patient_id, detail={"plan": plan.id})
    return followup


def correct_followup(original: FollowUp, data: FollowUpInput, *, reason: str, actor: User) -> FollowUp:
    """Correct a follow-up recorded by mistake: a new row with the corrected values, who corrected it and why; the
    original is kept unchanged (never deleted) and shown beside it. Only the latest version can be corrected."""
    reason = (reason or "").strip()
    if not reason:
        raise RehabError(_("Say why it is corrected."), "reason")
    _check_latest(FollowUp, original)
    plan = db.session.get(RehabPlan, original.plan_id)
    correction = _followup(plan, data, therapist_id=original.therapist_id)
    correction.corrects_id, correction.corrected_by_id, correction.correction_reason = original.id, actor.id, reason
    db.session.add(correction)
    db.session.flush()
    case = plan.decision.case
    audit.record(
        actor, "rehab.followup_corrected", "case", case.id, patient_id=case.patient_id, detail={"followup": original.id}
    )
    return correction


def _check_latest(model, row) -> None:
    """A corrected row is history: the correction is what is corrected next (two corrections of one row would
    be two truths)."""
    if db.session.scalar(select(model.id).where(model.corrects_id == row.id).limit(1)) is not None:
        raise RehabError(_("This entry was corrected meanwhile: correct the latest version."), "reason")


def _current(model, plan_id: int):
    """The rows of a plan that no later row corrects."""
    corrected = select(model.corrects_id).where(model.corrects_id.is_not(None)).scalar_subquery()
    return select(model).where(model.plan_id == plan_id, model.id.not_in(corrected))


def _followup(plan: RehabPlan, data: FollowUpInput, *, therapist_id: int) -> FollowUp:
    computed = meetings.compute_plan(plan)
    if data.seen_on > local_today():
        raise RehabError(_("The visit date is in the future."), "seen_on")
    if computed is not None and data.seen_on < computed.surgery_on:
        raise RehabError(_("The visit date is before the surgery."), "seen_on")
    unknown = [c for c in data.complications if c not in COMPLICATIONS]
    if unknown:
        raise RehabError(_("Choose complications from the list."), "complications")
    if data.visit_id is not None and db.session.get(RehabVisit, data.visit_id) is None:
        raise RehabError(_("Choose a visit of this plan."), "visit_id")
    return FollowUp(
        plan_id=plan.id,
        visit_id=data.visit_id,
        seen_on=data.seen_on,
        therapist_id=therapist_id,
        achieved_mm=data.achieved_mm,
        knee_flexion_deg=data.knee_flexion_deg,
        knee_extension_deficit_deg=data.knee_extension_deficit_deg,
        ankle_dorsiflexion_deg=data.ankle_dorsiflexion_deg,
        weight_bearing=WeightBearing(data.weight_bearing) if data.weight_bearing else None,
        pin_sites=PinSites(data.pin_sites) if data.pin_sites else None,
        pain=data.pain,
        complications=list(data.complications),
        consolidated=data.consolidated,
        notes=(data.notes or "").strip() or None,
    )


def followups_of(plan: RehabPlan) -> list[FollowUp]:
    """The plan's follow-ups as they stand (a corrected one is replaced by its correction, which names it)."""
    return list(
        db.session.scalars(
            _current(FollowUp, plan.id)
            .options(
                joinedload(FollowUp.therapist),
                joinedload(FollowUp.corrected_by),
                joinedload(FollowUp.corrects),
            )
            .order_by(FollowUp.seen_on, FollowUp.id)
        )
    )


@dataclass
class Flag:
    kind: str  # deviation | rom | complication
    message: str
    seen_on: date


def flags(plan: RehabPlan, followups: list[FollowUp]) -> list[Flag]:
    """Achieved length off the plan beyond the tolerance, range of motion lost since the first visit, and any
    complication: each is something the conference may need to see again."""
    cfg = current_app.config
    found: list[Flag] = []
    if not followups:
        return found
    latest = followups[-1]
    if latest.achieved_mm is not None and plan.surgery_on is not None:
        planned = planned_mm_on(plan, latest.seen_on)
        if abs(latest.achieved_mm - planned) > cfg["REHAB_DEVIATION_TOLERANCE_MM"]:
            found.append(
                Flag(
                    "deviation",
                    _(
                        "%(achieved)g mm achieved against %(planned)g mm planned (tolerance %(tolerance)g mm).",
                        achieved=latest.achieved_mm,
                        planned=round(planned, 1),
                        tolerance=cfg["REHAB_DEVIATION_TOLERANCE_MM"],
                    ),
                    latest.seen_on,
                )
            )
    for attribute, limit, label in (
        ("knee_flexion_deg", cfg["REHAB_KNEE_FLEXION_LOSS_DEG"], _("Knee flexion")),
        ("ankle_dorsiflexion_deg", cfg["REHAB_ANKLE_DORSIFLEXION_LOSS_DEG"], _("Ankle dorsiflexion")),
    ):
        values = [(f.seen_on, getattr(f, attribute)) for f in followups if getattr(f, attribute) is not None]
        if len(values) >= 2 and values[0][1] - values[-1][1] > limit:
            found.append(
                Flag(
                    "rom",
                    _(
                        "%(what)s lost: %(first)g° to %(last)g°.",
                        what=label,
                        first=values[0][1],
                        last=values[-1][1],
                    ),
                    values[-1][0],
                )
            )
    for followup in followups:
        if followup.complications:
            found.append(Flag("complication", ", ".join(followup.complication_labels), followup.seen_on))
    return found


def send_back_to_conference(plan: RehabPlan, actor: User, reason: str) -> object:
    """One action for a flag: the case goes back on the next conference's case list (after its deadline or over
    capacity too, with the flag as the override reason). Returns the agenda item."""
    from conference.cases import services as cases

    case = plan.decision.case
    reason = (reason or "").strip() or _("Rehabilitation follow-up flag")
    target = next(iter(cases.listable_conferences()), None)
    if target is None:
        raise RehabError(_("No upcoming conference to list the case on."))
    return cases.relist_for_review(case, target, actor, reason=reason)


# --- occupational therapy -------------------------------------------------------------------------------------


def add_adaptation(
    plan: RehabPlan, *, kind: str, description: str, ordered_on: date | None, delivered_on: date | None, actor: User
) -> Adaptation:
    adaptation = _adaptation(
        plan, kind=kind, description=description, ordered_on=ordered_on, delivered_on=delivered_on, actor=actor
    )
    db.session.add(adaptation)
    db.session.flush()
    case = plan.decision.case
    audit.record(actor, "rehab.adaptation", "case", case.id, patient_id=case.patient_id)
    return adaptation


def correct_adaptation(
    original: Adaptation,
    *,
    kind: str,
    description: str,
    ordered_on: date | None,
    delivered_on: date | None,
    reason: str,
    actor: User,
) -> Adaptation:
    """Correct an adaptation or aid recorded by mistake: a new row by who corrected it, naming the original, which
    is kept unchanged."""
    reason = (reason or "").strip()
    if not reason:
        raise RehabError(_("Say why it is corrected."), "reason")
    _check_latest(Adaptation, original)
    plan = db.session.get(RehabPlan, original.plan_id)
    correction = _adaptation(
        plan, kind=kind, description=description, ordered_on=ordered_on, delivered_on=delivered_on, actor=actor
    )
    correction.corrects_id, correction.correction_reason = original.id, reason
    db.session.add(correction)
    db.session.flush()
    case = plan.decision.case
    audit.record(
        actor,
        "rehab.adaptation_corrected",
        "case",
        case.id,
        patient_id=case.patient_id,
        detail={"adaptation": original.id},
    )
    return correction


def _adaptation(
    plan: RehabPlan, *, kind: str, description: str, ordered_on: date | None, delivered_on: date | None, actor: User
) -> Adaptation:
    description = (description or "").strip()
    if not description:
        raise RehabError(_("Describe the adaptation or aid."), "description")
    if ordered_on and delivered_on and delivered_on < ordered_on:
        raise RehabError(_("Delivered before it was ordered?"), "delivered_on")
    return Adaptation(
        plan_id=plan.id,
        kind=AdaptationKind(kind),
        description=description,
        ordered_on=ordered_on,
        delivered_on=delivered_on,
        recorded_by_id=actor.id,
    )


def mark_delivered(adaptation: Adaptation, on: date, actor: User) -> None:
    adaptation.delivered_on = on
    plan = db.session.get(RehabPlan, adaptation.plan_id)
    audit.record(actor, "rehab.delivered", "case", plan.decision.case_id, patient_id=plan.decision.case.patient_id)


def adaptations_of(plan: RehabPlan) -> list[Adaptation]:
    """The plan's adaptations as they stand (a corrected one is replaced by its correction, which names it)."""
    return list(
        db.session.scalars(
            _current(Adaptation, plan.id)
            .options(joinedload(Adaptation.recorded_by), joinedload(Adaptation.corrects))
            .order_by(Adaptation.id)
        )
    )


# --- worklists ------------------------------------------------------------------------------------------------


@dataclass
class Row:
    plan: RehabPlan
    phase: str
    next_visit: RehabVisit | None
    overdue: list[RehabVisit]
    mine: bool


@dataclass
class Worklist:
    rows: list[Row]
    today: list[RehabVisit]
    this_week: list[RehabVisit]
    overdue: list[RehabVisit]


WORKLIST_LIMIT = 200


def worklist(user: User, *, whole_unit: bool) -> Worklist:
    """Patients in treatment (lengthening plans not done), with their phase, today's and this week's visits and
    visits past their date without a follow-up. A therapist's own list holds the plans with a visit assigned to
    them or not yet assigned to anyone; the coordinator (or anyone asking for the whole unit) sees every plan."""
    today = local_today()
    plans = list(
        db.session.scalars(
            select(RehabPlan)
            .where(RehabPlan.surgery_on.is_not(None))
            .options(joinedload(RehabPlan.decision).joinedload(Decision.case))
            .order_by(RehabPlan.surgery_on)
            .limit(WORKLIST_LIMIT)
        ).unique()
    )
    plan_ids = [p.id for p in plans]
    visits = (
        list(
            db.session.scalars(
                select(RehabVisit)
                .where(RehabVisit.plan_id.in_(plan_ids))
                .options(joinedload(RehabVisit.therapist))
                .order_by(RehabVisit.planned_on)
            )
        )
        if plan_ids
        else []
    )
    seen = (
        set(db.session.scalars(select(FollowUp.visit_id).where(FollowUp.plan_id.in_(plan_ids)))) if plan_ids else set()
    )
    by_plan: dict[int, list[RehabVisit]] = {}
    for visit in visits:
        by_plan.setdefault(visit.plan_id, []).append(visit)
    rows, today_visits, week, overdue_all = [], [], [], []
    for plan in plans:
        phase = phase_on(plan, today)
        if phase == "done":
            continue
        plan_visits = by_plan.get(plan.id, [])
        mine = any(v.therapist_id == user.id for v in plan_visits) or (
            bool(plan_visits) and all(v.therapist_id is None for v in plan_visits)
        )
        if not whole_unit and not mine:
            continue
        overdue = [v for v in plan_visits if v.planned_on < today and v.id not in seen]
        upcoming = [v for v in plan_visits if v.planned_on >= today]
        rows.append(Row(plan, phase, upcoming[0] if upcoming else None, overdue, mine))
        relevant = [v for v in plan_visits if whole_unit or v.therapist_id in (None, user.id)]
        today_visits += [v for v in relevant if v.planned_on == today]
        week += [v for v in relevant if today < v.planned_on <= today + timedelta(days=7)]
        overdue_all += [v for v in overdue if whole_unit or v.therapist_id in (None, user.id)]
    return Worklist(rows, today_visits, week, sorted(overdue_all, key=lambda v: v.planned_on))


VISIT_MATCH_DAYS = 3  # a follow-up this close to a planned visit counts as that visit


def _seen_visits(visits: list[RehabVisit], followups) -> set[int]:
    """Visits with a follow-up: linked to it, or recorded within VISIT_MATCH_DAYS of its date."""
    linked = {visit_id for _plan, visit_id, _day in followups if visit_id}
    days_by_plan: dict[int, list[date]] = {}
    for plan_id, _visit, day in followups:
        days_by_plan.setdefault(plan_id, []).append(day)
    return {
        v.id
        for v in visits
        if v.id in linked
        or any(abs((day - v.planned_on).days) <= VISIT_MATCH_DAYS for day in days_by_plan.get(v.plan_id, []))
    }


def sees_whole_unit_by_default(user: User) -> bool:
    """The worklist opens on the whole unit for everyone but the therapists, who see their own patients first."""
    return policy.sees_whole_unit_by_default(user)


# --- calendars ------------------------------------------------------------------------------------------------


def _visit_event(visit: RehabVisit, host: str):
    """One VEVENT per planned visit; the UID is the visit's, SEQUENCE follows its changes. No patient identity
    unless REHAB_ICS_INCLUDE_PATIENT_IDENTITY is on (then only in the PRIVATE description)."""
    from icalendar import Event

    case = visit.plan.decision.case
    event = Event()
    event.add("uid", f"rehab-visit-{visit.id}@{host}")
    event.add("sequence", visit.ical_sequence)
    event.add("dtstamp", meetings.utcnow())
    event.add("dtstart", visit.planned_on)
    event.add("dtend", visit.planned_on + timedelta(days=1))
    event.add(
        "summary",
        _("Rehabilitation visit (distraction)")
        if visit.phase == "distraction"
        else _("Rehabilitation visit (consolidation)"),
    )
    event.add("class", "PRIVATE")
    description = [_("Case %(id)d", id=case.id)]
    if current_app.config["REHAB_ICS_INCLUDE_PATIENT_IDENTITY"]:
        description.append(f"{case.patient.name}, {case.patient.national_id_display}")
    event.add("description", "\n".join(description))
    return event


def _host() -> str:
    from conference.conferences.ical import uid_host

    return uid_host(current_app.config["CONFERENCE_BASE_URL"])


def visit_events(user: User) -> list:
    """The visits assigned to the user, for the personal calendar feed."""
    since = local_today() - timedelta(days=30)
    visits = db.session.scalars(
        select(RehabVisit)
        .where(RehabVisit.therapist_id == user.id, RehabVisit.planned_on >= since)
        .options(selectinload(RehabVisit.plan).joinedload(RehabPlan.decision).joinedload(Decision.case))
        .order_by(RehabVisit.planned_on)
        .limit(500)
    )
    host = _host()
    return [_visit_event(visit, host) for visit in visits]


def plan_ics(plan: RehabPlan) -> bytes:
    """The plan's visits as a calendar for the clinic (the same UIDs as in the therapists' feeds)."""
    from icalendar import Calendar

    from conference.conferences.ical import PRODID

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    host = _host()
    for visit in visits_of(plan):
        cal.add_component(_visit_event(visit, host))
    return cal.to_ical()


@dataclass
class PlanView:
    computed: object
    index: tuple[float, str]
    visits: list[RehabVisit]
    flags: list[Flag]


def plan_views(plans: list[RehabPlan]) -> dict[int, PlanView]:
    """What the case summary shows of each plan, keyed by decision id (a handful of plans per case)."""
    return {
        plan.decision_id: PlanView(
            meetings.compute_plan(plan), meetings.index_in_use(plan), visits_of(plan), flags(plan, followups_of(plan))
        )
        for plan in plans
    }
