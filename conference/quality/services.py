"""Outcomes and quality for a period (and optionally one series): waiting times, how the meetings work, quorum,
decisions, how right the growth predictions were, and how the lengthenings went.

A report is read-only and reads across modules (a reporting read model: it writes nothing, so it cannot break
another module's rules). It runs a fixed number of SQL statements whatever the size of the unit: each figure is one
aggregate query, or one query for the rows of the period that a median needs. Tables hold no patient identity; the
per-case export (coordinators only) is separate and audited.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.cases.models import DIAGNOSES, Case, CaseEvent, CaseStatus, Measurement
from conference.cases.prediction import maturity_age
from conference.conferences.models import Conference, ConferenceStatus, Invitation
from conference.db import utcnow
from conference.extensions import db
from conference.meetings.models import (
    DEVICE_LABELS,
    Attendance,
    AttendanceStatus,
    Decision,
    PatientResponse,
    RehabPlan,
    Treatment,
)
from conference.patients.models import Patient
from conference.people.models import Specialty, User
from conference.rehab.models import COMPLICATIONS, FollowUp

STEPS = (
    ("referred", "ready"),
    ("ready", "listed"),
    ("listed", "discussed"),
    ("discussed", "decided"),
    ("referred", "decided"),
)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default): position (n - 1) x q."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def sd(values: list[float]) -> float | None:
    """Sample standard deviation (n - 1)."""
    if len(values) < 2:
        return None
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


@dataclass
class Table:
    """One table of the page, also a CSV and a sheet of the workbook."""

    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Report:
    start: date
    end: date
    series_id: int | None
    tables: dict[str, Table]
    waiting_beyond_limit: int
    scatter: list[tuple[float, float]]  # prediction: (predicted, actual)
    lengthening_points: list[tuple[float, float]]  # (planned, achieved)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(0), tzinfo=timezone.utc),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=timezone.utc),
    )


def _held(start_at: datetime, end_at: datetime, series_id: int | None):
    condition = and_(
        Conference.status == ConferenceStatus.held, Conference.starts_at >= start_at, Conference.starts_at < end_at
    )
    return and_(condition, Conference.series_id == series_id) if series_id else condition


def report(start: date, end: date, series_id: int | None = None) -> Report:
    """Every figure of the quality page for referrals and meetings from `start` to `end` (inclusive)."""
    start_at, end_at = _bounds(start, end)
    held = _held(start_at, end_at, series_id)
    tables = {}
    tables["waiting"], beyond = _waiting(start_at, end_at)
    tables["meetings"], tables["meeting_summary"] = _meetings(held)
    tables["quorum"], tables["attendance"] = _quorum(held)
    tables["treatments"], tables["diagnoses"], tables["responses"] = _decisions(held)
    tables["prediction"], scatter = _prediction(held)
    tables["lengthening"], tables["complications"], points = _lengthening(held)
    tables["letters"] = _letters(held)
    return Report(start, end, series_id, tables, beyond, scatter, points)


# --- waiting times --------------------------------------------------------------------------------------------


def _days(dialect: str, earlier, later):
    """Days between two timestamps, computed in the database (no datetime objects per row in Python)."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _month(dialect: str, column):
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _waiting(start_at: datetime, end_at: datetime) -> tuple[Table, int]:
    """One row per case referred in the period: the month and the days of each step, from the first time the case
    reached each status (conditional aggregates over its history)."""
    dialect = db.engine.dialect.name
    first = {
        status: func.min(case((CaseEvent.to_status == status, CaseEvent.at)))
        for status in (CaseStatus.ready, CaseStatus.listed, CaseStatus.discussed, CaseStatus.decided)
    }
    points = {"referred": Case.referred_at, **{s.value: first[s] for s in first}}
    rows = db.session.execute(
        select(
            _month(dialect, Case.referred_at),
            *[_days(dialect, points[origin], points[target]) for origin, target in STEPS],
        )
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.referred_at >= start_at, Case.referred_at < end_at)
        .group_by(Case.id, Case.referred_at)
    ).all()
    by_month: dict[tuple[str, str], list[float]] = defaultdict(list)
    for month, *durations in rows:
        for (origin, target), days in zip(STEPS, durations):
            if days is not None and days >= 0:
                by_month[(month, f"{origin}-{target}")].append(float(days))
                by_month[("all", f"{origin}-{target}")].append(float(days))
    table = Table(
        "waiting",
        _("Waiting times (days)"),
        [_("Month of referral"), _("Step"), _("Cases"), _("Median"), _("90th percentile")],
    )
    labels = _step_labels()
    order = [f"{a}-{b}" for a, b in STEPS]
    for (month, step), values in sorted(
        by_month.items(), key=lambda kv: (kv[0][0] == "all", kv[0][0], order.index(kv[0][1]))
    ):
        table.rows.append(
            [
                _("All") if month == "all" else month,
                labels[step],
                len(values),
                _round(percentile(values, 0.5)),
                _round(percentile(values, 0.9)),
            ]
        )
    limit = utcnow() - timedelta(days=current_app.config["QUALITY_WAITING_LIMIT_DAYS"])
    beyond = db.session.scalar(
        select(func.count(Case.id)).where(
            Case.status.in_([CaseStatus.referred, CaseStatus.ready, CaseStatus.listed]), Case.referred_at < limit
        )
    )
    return table, beyond


def _step_labels() -> dict[str, str]:
    names = {
        "referred": _("referral"),
        "ready": _("ready"),
        "listed": _("listed"),
        "discussed": _("discussed"),
        "decided": _("decided"),
    }
    return {f"{a}-{b}": f"{names[a]} → {names[b]}" for a, b in STEPS}


def _round(value: float | None, places: int = 1):
    return None if value is None else round(value, places)


# --- meetings ---------------------------------------------------------------------------------------------------


def _meetings(held) -> tuple[Table, Table]:
    rows = db.session.execute(
        select(
            Conference.id,
            Conference.starts_at,
            Conference.capacity,
            func.count(AgendaItem.id),
            func.sum(case((AgendaItem.outcome == AgendaOutcome.discussed, 1), else_=0)),
            func.sum(case((AgendaItem.outcome == AgendaOutcome.deferred, 1), else_=0)),
            func.sum(
                case(
                    (and_(AgendaItem.override_reason.is_not(None), AgendaItem.carried_over_from_id.is_(None)), 1),
                    else_=0,
                )
            ),
        )
        .outerjoin(AgendaItem, AgendaItem.conference_id == Conference.id)
        .where(held)
        .group_by(Conference.id, Conference.starts_at, Conference.capacity)
        .order_by(Conference.starts_at)
    ).all()
    table = Table(
        "meetings",
        _("Meetings"),
        [_("Date"), _("Capacity"), _("Cases listed"), _("Discussed"), _("Deferred"), _("Late additions")],
    )
    for _id, starts_at, capacity, listed, discussed, deferred, late in rows:
        table.rows.append([starts_at.date(), capacity, listed, discussed or 0, deferred or 0, late or 0])
    listed_total = sum(r[2] for r in table.rows)
    repeated = db.session.scalar(
        select(func.count()).select_from(
            select(AgendaItem.case_id)
            .join(Conference, Conference.id == AgendaItem.conference_id)
            .where(held, AgendaItem.outcome == AgendaOutcome.discussed)
            .group_by(AgendaItem.case_id)
            .having(func.count(AgendaItem.id) > 1)
            .subquery()
        )
    )
    summary = Table("meeting_summary", _("Meetings in the period"), [_("Measure"), _("Value")])
    summary.rows = [
        [_("Meetings held"), len(table.rows)],
        [_("Cases per meeting (mean)"), _round(mean([r[2] for r in table.rows]))],
        [_("Use of capacity (%)"), _round(100 * listed_total / sum(r[1] for r in table.rows)) if table.rows else None],
        [_("Deferral rate (%)"), _round(100 * sum(r[4] for r in table.rows) / listed_total) if listed_total else None],
        [_("Late additions"), sum(r[5] for r in table.rows)],
        [_("Cases discussed more than once"), repeated],
    ]
    return table, summary


# --- quorum and attendance ------------------------------------------------------------------------------------


def _quorum(held) -> tuple[Table, Table]:
    items = db.session.execute(
        select(AgendaItem.conference_id, Case.required_specialties)
        .join(Case, Case.id == AgendaItem.case_id)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(held, AgendaItem.outcome == AgendaOutcome.discussed)
    ).all()
    present_rows = db.session.execute(
        select(Attendance.conference_id, User.specialty)
        .join(User, User.id == Attendance.user_id)
        .join(Conference, Conference.id == Attendance.conference_id)
        .where(held, Attendance.status != AttendanceStatus.absent, User.specialty.is_not(None))
    ).all()
    present: dict[int, set[str]] = defaultdict(set)
    for conference_id, specialty in present_rows:
        present[conference_id].add(specialty.value)
    needed, met = Counter(), Counter()
    complete = 0
    for conference_id, required in items:
        required = required or []
        here = present[conference_id]
        if all(s in here for s in required):
            complete += 1
        for specialty in required:
            needed[specialty] += 1
            met[specialty] += specialty in here
    quorum = Table("quorum", _("Quorum"), [_("Specialty"), _("Cases needing it"), _("Present (%)")])
    quorum.rows.append(
        [_("All required specialties present"), len(items), _round(100 * complete / len(items)) if items else None]
    )
    for specialty in Specialty:
        if needed[specialty.value]:
            quorum.rows.append(
                [
                    specialty.label,
                    needed[specialty.value],
                    _round(100 * met[specialty.value] / needed[specialty.value]),
                ]
            )
    attendance_rows = db.session.execute(
        select(
            User.name,
            User.specialty,
            func.count(Invitation.id),
            func.sum(case((Attendance.status == AttendanceStatus.present, 1), else_=0)),
            func.sum(case((Attendance.status == AttendanceStatus.remote, 1), else_=0)),
            func.sum(case((Attendance.status == AttendanceStatus.absent, 1), else_=0)),
        )
        .join(Invitation, Invitation.user_id == User.id)
        .join(Conference, Conference.id == Invitation.conference_id)
        .outerjoin(
            Attendance, and_(Attendance.conference_id == Invitation.conference_id, Attendance.user_id == User.id)
        )
        .where(held)
        .group_by(User.id, User.name, User.specialty)
        .order_by(User.name)
    ).all()
    attendance = Table(
        "attendance",
        _("Attendance by member"),
        [_("Member"), _("Specialty"), _("Invited"), _("Present"), _("Remote"), _("Absent"), _("Attended (%)")],
    )
    for name, specialty, invited, here, remote, absent in attendance_rows:
        attended = (here or 0) + (remote or 0)
        # Of the meetings where this member's attendance was recorded: no record says nothing, it is not absence.
        recorded = attended + (absent or 0)
        attendance.rows.append(
            [
                name,
                specialty.label if specialty else "",
                invited,
                here or 0,
                remote or 0,
                absent or 0,
                _round(100 * attended / recorded) if recorded else None,
            ]
        )
    return quorum, attendance


# --- decisions ------------------------------------------------------------------------------------------------


def _decisions(held) -> tuple[Table, Table, Table]:
    rows = db.session.execute(
        select(Decision.treatment, Case.diagnosis, Decision.patient_response, func.count(Decision.id))
        .join(Case, Case.id == Decision.case_id)
        .join(Conference, Conference.id == Decision.conference_id)
        .where(held)
        .group_by(Decision.treatment, Case.diagnosis, Decision.patient_response)
    ).all()
    treatments, diagnoses, responses = Counter(), Counter(), Counter()
    for treatment, diagnosis, response, count in rows:
        treatments[treatment] += count
        diagnoses[diagnosis or "other"] += count
        responses[response] += count
    total = sum(treatments.values())
    by_treatment = Table("treatments", _("Decisions by treatment"), [_("Treatment"), _("Decisions"), _("Share (%)")])
    for treatment in Treatment:
        if treatments[treatment]:
            by_treatment.rows.append(
                [treatment.label, treatments[treatment], _round(100 * treatments[treatment] / total)]
            )
    by_diagnosis = Table("diagnoses", _("Decisions by diagnosis"), [_("Diagnosis"), _("Decisions")])
    for key, label in DIAGNOSES.items():
        if diagnoses[key]:
            by_diagnosis.rows.append([str(label), diagnoses[key]])
    by_response = Table("responses", _("The patient's response"), [_("Response"), _("Decisions"), _("Share (%)")])
    for response in PatientResponse:
        if responses[response]:
            by_response.rows.append([response.label, responses[response], _round(100 * responses[response] / total)])
    return by_treatment, by_diagnosis, by_response


# --- prediction accuracy --------------------------------------------------------------------------------------


def _age_group(age: float) -> str:
    return "< 8" if age < 8 else ("8-12" if age < 12 else "≥ 12")


def _prediction(held) -> tuple[Table, list[tuple[float, float]]]:
    """Predictions stored with the decisions against the discrepancy measured once growth was over (the first
    measurement at or after the maturity age of the table, on the bone age where one was recorded)."""
    decided = db.session.execute(
        select(Decision.case_id, Decision.prediction, Patient.sex, Patient.date_of_birth)
        .join(Case, Case.id == Decision.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .join(Conference, Conference.id == Decision.conference_id)
        .where(held, Decision.prediction.is_not(None))
    ).all()
    case_ids = [row[0] for row in decided if (row[1] or {}).get("value_mm") is not None]
    measured = (
        db.session.execute(
            select(Measurement.case_id, Measurement.measured_on, Measurement.bone_age_years, Measurement.lld_mm)
            .where(Measurement.case_id.in_(case_ids))
            .order_by(Measurement.measured_on)
        ).all()
        if case_ids
        else []
    )
    by_case = defaultdict(list)
    for case_id, measured_on, bone_age, lld in measured:
        by_case[case_id].append((measured_on, bone_age, lld))
    errors: dict[tuple[str, str], list[float]] = defaultdict(list)
    scatter = []
    for case_id, prediction, sex, birth in decided:
        if not prediction or prediction.get("value_mm") is None or sex.value not in ("male", "female"):
            continue
        mature = maturity_age(sex.value)
        actual = next(
            (
                lld
                for on, bone_age, lld in by_case[case_id]
                if (bone_age if bone_age is not None else (on - birth).days / 365.25) >= mature
            ),
            None,
        )
        if actual is None:
            continue
        error = prediction["value_mm"] - actual
        scatter.append((round(prediction["value_mm"], 1), actual))
        for key in ((prediction["method"], _age_group(prediction["age_years"])), ("all", "all")):
            errors[key].append(error)
    table = Table(
        "prediction",
        _("Prediction accuracy (predicted − actual, mm)"),
        [_("Method"), _("Age at prediction"), _("Cases"), _("Mean error"), _("SD"), _("Mean absolute error")],
    )
    method_labels = {"congenital": _("congenital"), "developmental": _("developmental"), "all": _("All")}
    for (method, group), values in sorted(errors.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        table.rows.append(
            [
                method_labels.get(method, method),
                _("All") if group == "all" else group,
                len(values),
                _round(mean(values)),
                _round(sd(values)),
                _round(mean([abs(v) for v in values])),
            ]
        )
    return table, scatter


# --- lengthening outcomes -------------------------------------------------------------------------------------


def _lengthening(held) -> tuple[Table, Table, list[tuple[float, float]]]:
    plans = db.session.execute(
        select(RehabPlan.id, RehabPlan.device, RehabPlan.bone, RehabPlan.target_mm, RehabPlan.surgery_on)
        .join(Decision, Decision.id == RehabPlan.decision_id)
        .join(Conference, Conference.id == Decision.conference_id)
        .where(held, RehabPlan.target_mm.is_not(None), RehabPlan.surgery_on.is_not(None))
    ).all()
    plan_ids = [p[0] for p in plans]
    followups = (
        db.session.execute(
            select(
                FollowUp.plan_id, FollowUp.seen_on, FollowUp.achieved_mm, FollowUp.consolidated, FollowUp.complications
            )
            .where(FollowUp.plan_id.in_(plan_ids))
            .order_by(FollowUp.seen_on)
        ).all()
        if plan_ids
        else []
    )
    by_plan = defaultdict(list)
    for row in followups:
        by_plan[row[0]].append(row)
    groups: dict[tuple[str, str], dict] = defaultdict(lambda: {"plans": 0, "achieved": [], "ratio": [], "index": []})
    complications = Counter()
    with_followup = 0
    points = []
    for plan_id, device, bone, target, surgery_on in plans:
        rows = by_plan.get(plan_id, [])
        key = (device or "", bone or "")
        groups[key]["plans"] += 1
        if not rows:
            continue
        with_followup += 1
        achieved = max((r[2] for r in rows if r[2] is not None), default=None)
        if achieved is not None:
            groups[key]["achieved"].append(achieved)
            groups[key]["ratio"].append(100 * achieved / target)
            points.append((target, achieved))
        consolidated = next((r for r in rows if r[3]), None)
        if consolidated is not None and achieved:
            groups[key]["index"].append((consolidated[1] - surgery_on).days / (achieved / 10))
        for code in {c for r in rows for c in (r[4] or [])}:
            complications[code] += 1
    table = Table(
        "lengthening",
        _("Lengthening outcomes"),
        [
            _("Device"),
            _("Bone"),
            _("Plans"),
            _("Achieved (mean mm)"),
            _("Achieved of planned (mean %)"),
            _("Healing index achieved (mean days/cm)"),
        ],
    )
    from conference.meetings.models import BONE_LABELS

    for (device, bone), g in sorted(groups.items()):
        table.rows.append(
            [
                str(DEVICE_LABELS.get(device, device or "–")),
                str(BONE_LABELS.get(bone, bone or "–")),
                g["plans"],
                _round(mean(g["achieved"])),
                _round(mean(g["ratio"])),
                _round(mean(g["index"])),
            ]
        )
    rates = Table("complications", _("Complications"), [_("Complication"), _("Plans"), _("Rate (%)")])
    for code, label in COMPLICATIONS.items():
        if complications[code]:
            rates.rows.append([str(label), complications[code], _round(100 * complications[code] / with_followup)])
    return table, rates, points


def _letters(held) -> Table:
    """Letters to patients about the period's decisions: how many went out, how soon after the conference, and
    what the patients answered. One query (the median needs the rows)."""
    from conference.letters.models import Answer, Letter

    rows = db.session.execute(
        select(Letter.answer, Letter.answer_due_on, Letter.sent_at, Conference.starts_at)
        .join(Conference, Conference.id == Letter.conference_id)
        .where(held, Letter.sent_at.is_not(None))
    ).all()
    today = utcnow().date()
    days = [(sent_at - starts_at).total_seconds() / 86400 for _a, _d, sent_at, starts_at in rows]
    answers = Counter(answer for answer, _d, _s, _c in rows if answer is not None)
    waiting = [due for answer, due, _s, _c in rows if answer is None]
    table = Table("letters", _("Letters to patients"), [_("Figure"), _("Value")])
    table.rows.append([_("Letters sent"), len(rows)])
    table.rows.append([_("Days from conference to letter (median)"), _round(percentile(days, 0.5))])
    table.rows.append([_("Days from conference to letter (90th percentile)"), _round(percentile(days, 0.9))])
    for answer in Answer:
        table.rows.append([answer.label, answers[answer]])
    table.rows.append([_("Awaiting an answer"), sum(1 for due in waiting if due is None or due >= today)])
    table.rows.append([_("No answer by the date"), sum(1 for due in waiting if due is not None and due < today)])
    return table


# --- per-case export (identity; coordinators only, audited by the route) -------------------------------------


def case_rows(start: date, end: date, series_id: int | None = None, limit: int = 10_000):
    """One row per decision in the period, with the patient's identity, for the coordinator's own follow-up:
    (columns, rows, [(case id, patient id)] for the access log)."""
    start_at, end_at = _bounds(start, end)
    rows = db.session.execute(
        select(
            Case.id,
            Patient.id,
            Patient.national_id,
            Patient.family_name,
            Patient.given_name,
            Conference.starts_at,
            Decision.treatment,
            Decision.patient_response,
            Case.referred_at,
        )
        .join(Case, Case.id == Decision.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .join(Conference, Conference.id == Decision.conference_id)
        .where(_held(start_at, end_at, series_id))
        .order_by(Conference.starts_at)
        .limit(limit)
    ).all()
    columns = [
        _("Case"),
        _("Identity number"),
        _("Family name"),
        _("Given name"),
        _("Conference"),
        _("Treatment"),
        _("Patient"),
        _("Days from referral"),
    ]
    out = []
    for case_id, _pid, national_id, family, given, starts_at, treatment, response, referred_at in rows:
        out.append(
            [
                case_id,
                national_id,
                family,
                given,
                starts_at.date(),
                treatment.label,
                response.label,
                (starts_at - referred_at).days,
            ]
        )
    return columns, out, [(r[0], r[1]) for r in rows]
