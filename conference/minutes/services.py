"""Minutes: the draft that builds up during the meeting, signing (which locks decisions, builds the Word
document, closes the meeting and sends it out), amendments as new versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_datetime, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from conference import policy
from conference.agenda import services as case_list
from conference.audit import services as audit
from conference.cases import services as cases
from conference.conferences import services as conferences
from conference.conferences.models import Conference
from conference.db import utcnow
from conference.documents import services as documents
from conference.extensions import db
from conference.formatting import age_in_years, number
from conference.i18n import formatting_locale
from conference.imaging import radiograph
from conference.meetings import services as meetings
from conference.meetings.models import ActionStatus
from conference.minutes.document import Action, CaseSection, MinutesData, Picture, build_minutes
from conference.minutes.models import Minutes, MinutesStatus
from conference.minutes.signals import minutes_amended
from conference.notifications import services as outbox
from conference.people.models import User
from conference.templating import datetime_long
from conference.urls import absolute_url

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class MinutesError(ValueError):
    pass


def versions(conference: Conference) -> list[Minutes]:
    return list(
        db.session.scalars(
            select(Minutes)
            .where(Minutes.conference_id == conference.id)
            .options(joinedload(Minutes.signed_by))
            .order_by(Minutes.version)
        )
    )


def current(conference: Conference) -> Minutes | None:
    return db.session.scalar(
        select(Minutes).where(Minutes.conference_id == conference.id).order_by(Minutes.version.desc()).limit(1)
    )


def is_locked(conference: Conference) -> bool:
    """Signed and not under amendment (the meetings module keeps the lock)."""
    return meetings.is_locked(conference)


def _open_version(conference: Conference) -> Minutes:
    """The version being written: the amendment's draft, or version 1, created when it is signed."""
    latest = current(conference)
    if latest is None:
        latest = Minutes(conference_id=conference.id, version=1, status=MinutesStatus.draft)
        db.session.add(latest)
        db.session.flush()
    return latest


def _labels() -> dict[str, str]:
    return {
        "draft_notice": _("DRAFT: not signed. Decisions may still change."),
        "attendance": _("Attendance"),
        "specialty": _("Specialty"),
        "name": _("Name"),
        "attendance_status": _("Attendance"),
        "cases": _("Cases"),
        "question": _("Question"),
        "measurement": _("Measurement"),
        "value": _("Value"),
        "decision": _("Decision"),
        "rationale": _("Rationale"),
        "patient_wishes": _("The patient's wishes as discussed"),
        "patient_response": _("Patient"),
        "follow_up": _("Follow-up"),
        "rehab": _("Rehabilitation plan"),
        "actions": _("Action items"),
        "action": _("Action"),
        "case": _("Case"),
        "owner": _("Owner"),
        "due": _("Due"),
        "open_actions": _("Open actions"),
        "other_matters": _("Other matters"),
        "diagnosis": _("Diagnosis"),
        "side": _("Side"),
        "referrer": _("Referred by"),
        "status": _("Status"),
        "no_open_actions": _("No open actions."),
        "signature": _("Signature"),
        "page": _("Page"),
        "of": _("of"),
        "category": _("MDT minutes"),
    }


def _fmt_date(day) -> str:
    return format_date(day, "medium") if day else ""


def prediction_lines(record: dict) -> list[tuple[str, str]]:
    """The growth prediction as (label, text) lines for the minutes, from a stored snapshot
    (cases.prediction.Prediction.as_record()), so a later measurement never changes what was decided on."""
    from conference.cases.prediction import BAND_LABELS, PHYSIS_LABELS

    if record.get("value_mm") is None:
        # Say why there is none (the notes are the prediction's own English messages: shown in the document's language).
        reasons = " ".join(_(note) for note in record.get("notes") or []) or _("the inputs are incomplete.")
        return [(_("Predicted at maturity"), _("No prediction: %(reason)s", reason=reasons))]
    age_source = _("bone age") if record["age_source"] == "bone age" else _("chronological age")
    method = _("congenital") if record["method"] == "congenital" else _("developmental")
    lines = [
        (
            _("Predicted at maturity"),
            _(
                "%(value)s mm (Paley, %(method)s, M %(m)s at %(source)s %(age)s, measured %(date)s)",
                value=number(record["value_mm"]),
                method=method,
                m=number(record["multiplier"], 3),
                source=age_source,
                age=age_in_years(record["age_years"]),
                date=_fmt_date(date.fromisoformat(record["measured_on"])),
            ),
        )
    ]
    if record.get("band"):
        lines.append((_("Band"), str(BAND_LABELS[record["band"]])))
    for method_key, label in (("paley", _("Epiphysiodesis (Paley)")), ("white_menelaus", _("White-Menelaus"))):
        parts = []
        for timing in (t for t in record.get("timings", []) if t["method"] == method_key):
            physis = str(PHYSIS_LABELS[timing["physis"]])
            if timing["status"] == "due":
                when = _fmt_date(date.fromisoformat(timing["on"]))
                parts.append(
                    _(
                        "%(physis)s at age %(age)s (%(date)s)",
                        physis=physis,
                        age=age_in_years(timing["age_years"]),
                        date=when,
                    )
                )
            elif timing["status"] == "passed":
                parts.append(_("%(physis)s: window passed", physis=physis))
            else:
                parts.append(_("%(physis)s: cannot correct it alone", physis=physis))
        if parts:
            lines.append((label, "; ".join(parts)))
    return lines


def _radiograph(case, evidence: dict) -> tuple[list[tuple[str, str]], list[Picture]]:
    """The case's newest measurement made on a radiograph: its source and values, and the radiograph with the axes
    drawn (when its picture can be read)."""
    record = next((evidence[m.id] for m in reversed(case.measurements) if m.id in evidence), None)
    if record is None:
        return [], []
    png = radiograph.minutes_picture(record)
    caption = _(
        "%(kind)s of %(taken)s with the mechanical axes and joint lines from the landmarks placed",
        kind=record.image.kind.label,
        taken=_fmt_date(record.image.taken_on),
    )
    return radiograph.describe(record), [Picture(png, caption)] if png else []


def _case_section(item, decision, prediction, evidence: dict | None = None) -> CaseSection:
    case = item.case
    patient = case.patient
    measurements = []
    latest = case.latest_measurement
    if latest is not None:
        measurements.append(
            (_("LLD"), f"{latest.lld_mm:g} mm ({latest.method.label}, {_fmt_date(latest.measured_on)})")
        )
        if latest.femur_mm is not None or latest.tibia_mm is not None:
            measurements.append((_("Femur / tibia"), f"{latest.femur_mm or '–'} / {latest.tibia_mm or '–'} mm"))
        if latest.mldfa_deg is not None or latest.mpta_deg is not None:
            measurements.append(("mLDFA / MPTA", f"{latest.mldfa_deg or '–'} / {latest.mpta_deg or '–'}°"))
    radiograph_lines, pictures = _radiograph(case, evidence or {})
    measurements.extend(radiograph_lines)
    measurements.extend(prediction_lines(decision.prediction if decision and decision.prediction else prediction))
    section = CaseSection(
        position=item.position,
        heading=f"{patient.name}, {patient.national_id_display}",
        diagnosis=case.diagnosis_label or "–",
        side=case.side_label or "–",
        referrer=case.referring_clinician or "–",
        question=case.question or "",
        measurements=measurements,
        outcome=_("Not reached: moved to the next conference"),
        pictures=pictures,
    )
    if decision is None:
        return section
    section.outcome = decision.treatment.label
    section.rationale = decision.rationale
    section.patient_wishes = decision.patient_wishes or ""
    section.patient_response = decision.patient_response.label
    section.follow_up = _fmt_date(decision.follow_up_on)
    plan = decision.rehab_plan
    if plan is not None:
        section.rehab = [(_("Weight-bearing"), plan.weight_bearing.label)]
        if plan.device or plan.bone:
            device = ", ".join(x for x in (plan.device_label, plan.bone_label, plan.rhythm or "") if x)
            section.rehab.append((_("Device and bone"), device))
        for label, value in (
            (_("Walking aids"), plan.walking_aids),
            (_("Physiotherapy"), plan.physiotherapy),
            (_("Occupational therapy"), plan.occupational_therapy),
            (_("Home exercises"), plan.home_exercises),
        ):
            if value:
                section.rehab.append((label, value))
        computed = meetings.compute_plan(plan)
        if computed is not None:
            section.rehab.append(
                (
                    _("Distraction"),
                    _(
                        "%(start)s to %(end)s (%(days)d days, %(rate)s mm/day, target %(target)s mm, latency %(latency)d days)",
                        start=_fmt_date(computed.distraction_start),
                        end=_fmt_date(computed.distraction_end),
                        days=computed.distraction_days,
                        rate=f"{plan.rate_mm_per_day:g}",
                        target=f"{plan.target_mm:g}",
                        latency=plan.latency_days,
                    ),
                )
            )
            section.rehab.append((_("End of consolidation (estimate)"), _fmt_date(computed.consolidation_end)))
            section.rehab.append((_("Visits"), ", ".join(_fmt_date(day) for day, _phase in computed.visits)))
            if computed.rate_warning:
                section.rehab.append(
                    (
                        _("Warning"),
                        _(
                            "Rate above %(limit)s mm/day",
                            limit=current_app.config["DISTRACTION_RATE_WARNING_MM_PER_DAY"],
                        ),
                    )
                )
    section.actions = [Action(a.description, a.owner.name, _fmt_date(a.due_on)) for a in decision.action_items]
    return section


def minutes_data(conference: Conference, minutes: Minutes, *, draft: bool) -> MinutesData:
    """Collect the meeting's data for the document, in the unit's language."""
    view = meetings.meeting_view(conference, measurements="all")
    invited = sorted(conference.invitations, key=lambda i: (i.user.specialty_label, i.user.name))
    attendance_rows = []
    for invitation in invited:
        row = view.attendance.get(invitation.user_id)
        attendance_rows.append(
            (
                invitation.user.specialty_label or invitation.user.role_label,
                invitation.user.name,
                row.status.label if row else _("Not recorded"),
            )
        )
    evidence = radiograph.for_measurements(m for item in view.items for m in item.case.measurements)
    sections = [
        _case_section(item, view.decisions.get(item.id), cases.predict(item.case).as_record(), evidence)
        for item in view.items
    ]
    decision_action_ids = {a.id for d in view.decisions.values() for a in d.action_items}
    other_matters = [
        Action(a.description, a.owner.name, _fmt_date(a.due_on))
        for a in view.actions
        if a.id not in decision_action_ids
    ]
    # Open actions: this meeting's, and earlier meetings' about the cases on this list; no other patient.
    earlier = meetings.open_actions_of_cases(conference, {item.case_id for item in view.items})
    open_actions = [
        Action(a.description, a.owner.name, _fmt_date(a.due_on), _("open"), a.case.reference if a.case else "")
        for a in earlier + [a for a in view.actions if a.status is ActionStatus.open]
    ]
    chair = conference.chair.name if conference.chair else "–"
    facts = [
        (_("Date"), f"{datetime_long(conference.starts_at)}–{format_time(conference.ends_at, 'short')}"),
        (_("Room"), conference.location or "–"),
        (_("Chair"), chair),
        (_("Version"), str(minutes.version)),
    ]
    if minutes.amendment_reason:
        facts.append((_("Amendment"), minutes.amendment_reason))
    signer = minutes.signed_by.name if minutes.signed_by else chair
    signature = (
        [_("Signed by %(name)s, %(when)s", name=signer, when=format_datetime(minutes.signed_at, "short"))]
        if minutes.signed_at
        else [_("Not signed yet.")]
    )
    return MinutesData(
        title=_("Minutes: %(title)s, %(date)s", title=conference.title, date=_fmt_date(conference.starts_at)),
        author=signer,
        unit=unit_name(),
        created=(minutes.signed_at or utcnow()).replace(tzinfo=None),
        facts=facts,
        attendance=attendance_rows,
        cases=sections,
        other_matters=other_matters,
        open_actions=open_actions,
        signature=signature,
        labels=_labels(),
        language="sv-SE" if current_app.config["BABEL_DEFAULT_LOCALE"] == "sv" else "en-GB",
        draft=draft,
    )


# The default unit name, marked for translation: a Swedish document names the unit in Swedish.
DEFAULT_UNIT_NAME = _l("Limb deformity unit")


def unit_name() -> str:
    """The unit's name in the current locale (a configured name without a translation stays as configured)."""
    return _(current_app.config["CONFERENCE_UNIT_NAME"])


def _unit_locale() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def draft_document(conference: Conference) -> bytes:
    """The minutes as they stand now, marked as a draft: built on request from a version that is never added to
    the session, so reading a draft writes nothing. A locked (signed) meeting has no draft."""
    if is_locked(conference):
        raise MinutesError(_("These minutes are signed: download the signed version."))
    latest = current(conference)
    transient = Minutes(
        conference_id=conference.id,
        version=latest.version if latest is not None else 1,
        status=MinutesStatus.draft,
        amendment_reason=latest.amendment_reason if latest is not None else None,
    )
    with force_locale(_unit_locale()):
        payload = build_minutes(minutes_data(conference, transient, draft=True))
    return payload


def shown_patients(conference: Conference) -> list[tuple[int, int]]:
    """(case id, patient id) of every case the minutes name, for the access log of a download."""
    return [(item.case_id, item.case.patient_id) for item in cases.agenda(conference).items]


def signed_document(conference: Conference, version: int) -> bytes | None:
    """The signed version's bytes, checked against the SHA-256 recorded at signing (DocumentTampered if not)."""
    minutes = document_of(conference, version)
    if minutes is None or minutes.document_id is None:
        return None
    return documents.read(minutes.document_id, minutes.document_sha256)


def sign(conference: Conference, actor: User, *, notify: bool = True) -> Minutes:
    """Sign the current draft: decisions lock, the Word minutes are built and stored, the meeting is held,
    cases not reached roll to the next conference, and the minutes go to the attendees (internal domains only)
    and the outcome to each referrer, through the outbox."""
    if not policy.can_sign(actor, conference):
        raise MinutesError(_("Only the chair signs the minutes."))
    if is_locked(conference):
        raise MinutesError(_("These minutes are already signed."))
    meetings.check_can_record(conference)
    if not meetings.has_started(conference):  # recording opens early; a meeting not yet begun cannot be held
        raise MinutesError(
            _(
                "Signing opens when the meeting starts (%(when)s).",
                when=format_datetime(conference.starts_at, "short"),
            )
        )
    view = meetings.meeting_view(conference, measurements="all")
    if not view.attendance:
        raise MinutesError(_("Record the attendance before signing."))
    minutes = _open_version(conference)
    case_list.defer_unreached(conference, set(view.decisions), actor)
    minutes.signed_by_id = actor.id
    minutes.signed_by = actor
    minutes.signed_at = utcnow()
    with force_locale(_unit_locale()):
        payload = build_minutes(minutes_data(conference, minutes, draft=False))
    stored = documents.store(payload, DOCX)
    minutes.document_id = stored.id
    minutes.stored_document = stored
    minutes.document_sha256 = stored.sha256
    minutes.status = MinutesStatus.signed
    conferences.mark_held(conference, actor)
    db.session.flush()
    meetings.lock(conference, actor)
    if minutes.version == 1:
        case_list.roll_over(conference, conferences.next_conference_in_series(conference), actor)
    if notify:  # (notify=False: the demo's history, entered as if from an earlier system)
        _queue_minutes_emails(conference, minutes, view)
        _queue_outcome_emails(conference, minutes, view)
    audit.record(
        actor,
        "minutes.sign",
        "conference",
        conference.id,
        detail={"version": minutes.version, "sha256": minutes.document_sha256},
    )
    return minutes


@dataclass
class SignSummary:
    """What signing will do, for the chair to confirm first."""

    version: int
    recipients: list[User]  # the minutes go to them
    refused: list[User]  # invited, but their address is outside the allowed mail domains
    outcomes: int  # outcome emails to referrers (first outcomes)
    corrections: int  # correction emails to referrers (an amendment)
    unreached: list  # agenda items without a decision: they move on
    next_conference: Conference | None  # where they move (None: back to the ready queue)


def _minutes_recipients(conference: Conference) -> list[User]:
    """Every invited member, present or not, and the chair."""
    return sorted(
        {i.user for i in conference.invitations} | ({conference.chair} if conference.chair else set()),
        key=lambda u: u.id,
    )


def sign_summary(conference: Conference) -> SignSummary:
    """What sign() would do now: who gets the minutes, how many outcome emails go out, which cases move to which
    meeting. Writes nothing."""
    view = meetings.meeting_view(conference)
    latest = current(conference)
    version = latest.version if latest is not None and latest.status is MinutesStatus.draft else 1
    transient = Minutes(conference_id=conference.id, version=version, status=MinutesStatus.draft)
    allowed, refused = [], []
    for user in _minutes_recipients(conference):
        try:
            outbox.check_recipient(user.email)
            allowed.append(user)
        except outbox.RecipientNotAllowed:
            refused.append(user)
    outcomes = [
        (decision, corrected)
        for decision, corrected in _outcomes_to_send(conference, transient, view)
        if decision.case.referring_email
    ]
    return SignSummary(
        version=version,
        recipients=sorted(allowed, key=lambda u: u.name),
        refused=sorted(refused, key=lambda u: u.name),
        outcomes=sum(1 for _d, corrected in outcomes if corrected is None),
        corrections=sum(1 for _d, corrected in outcomes if corrected is not None),
        unreached=[item for item in view.items if item.id not in view.decisions] if version == 1 else [],
        next_conference=conferences.next_conference_in_series(conference),
    )


def amend(conference: Conference, actor: User, reason: str) -> Minutes:
    """Open a new version for changes. The signed version and its document stay as they are."""
    if not policy.can_amend(actor, conference):
        raise MinutesError(_("Only the chair or a coordinator can amend the minutes."))
    reason = (reason or "").strip()
    if not reason:
        raise MinutesError(_("Say why the minutes are amended."))
    latest = current(conference)
    if latest is None or latest.status is not MinutesStatus.signed:
        raise MinutesError(_("Only signed minutes can be amended; the draft can still be changed."))
    amendment = Minutes(
        conference_id=conference.id, version=latest.version + 1, status=MinutesStatus.draft, amendment_reason=reason
    )
    db.session.add(amendment)
    db.session.flush()
    meetings.unlock(conference, actor)
    audit.record(actor, "minutes.amend", "conference", conference.id, detail={"version": amendment.version})
    minutes_amended.send(conference, actor=actor, version=amendment.version)  # letters already sent are superseded
    return amendment


def filename(conference: Conference, version: int) -> str:
    return f"mdt-minutes-{conference.starts_at:%Y-%m-%d}-v{version}.docx"


def _queue_minutes_emails(conference: Conference, minutes: Minutes, view) -> None:
    """The signed minutes go to every invited member, present or not (the document says who was absent), and to
    the chair; each exactly once per version (the dedupe key), inside the allowed mail domains."""
    for user in _minutes_recipients(conference):
        with force_locale(formatting_locale(user.locale or _unit_locale())):
            try:
                outbox.queue_email(
                    dedupe_key=f"minutes:{conference.id}:v{minutes.version}:{user.id}",
                    kind="minutes",
                    recipient=user.email,
                    subject=_(
                        "Minutes: %(title)s, %(date)s", title=conference.title, date=_fmt_date(conference.starts_at)
                    ),
                    text_body=render_template(
                        "emails/minutes.txt",
                        user=user,
                        conference=conference,
                        minutes=minutes,
                        url=absolute_url("meetings.live", conference_id=conference.id),
                    ),
                    documents=[(filename(conference, minutes.version), minutes.document_id)],
                    conference_id=conference.id,
                )
            except outbox.RecipientNotAllowed:
                audit.record(None, "minutes.recipient_refused", "conference", conference.id, detail={"user": user.id})


def _earlier_signed(conference: Conference, minutes: Minutes) -> Minutes | None:
    """The signed version this one amends (None for the first)."""
    return db.session.scalar(
        select(Minutes)
        .where(
            Minutes.conference_id == conference.id,
            Minutes.version < minutes.version,
            Minutes.status == MinutesStatus.signed,
        )
        .order_by(Minutes.version.desc())
        .limit(1)
    )


def _outcomes_to_send(conference: Conference, minutes: Minutes, view) -> list[tuple[object, object | None]]:
    """(decision, the signed minutes it corrects or None) for each outcome the referrers must get: every decision
    the first time; after an amendment only the decisions saved since the version it amends (a correction), or made
    since (a first outcome), so a referrer never gets the same outcome again."""
    earlier = _earlier_signed(conference, minutes)
    if earlier is None:
        return [(decision, None) for decision in view.decisions.values()]
    outcomes = []
    for decision in view.decisions.values():
        if decision.created_at > earlier.signed_at:
            outcomes.append((decision, None))
        elif decision.updated_at > earlier.signed_at:
            outcomes.append((decision, earlier))
    return outcomes


def _queue_outcome_emails(conference: Conference, minutes: Minutes, view) -> None:
    for decision, corrected in _outcomes_to_send(conference, minutes, view):
        case = decision.case
        if not case.referring_email:
            continue
        with force_locale(_unit_locale()):
            meeting_date = _fmt_date(conference.starts_at)
            subject = (
                _("Correction: outcome from the MDT conference %(date)s", date=meeting_date)
                if corrected is not None
                else _("Outcome from the MDT conference %(date)s", date=meeting_date)
            )
            try:
                outbox.queue_email(
                    dedupe_key=f"outcome:{decision.id}:v{minutes.version}",
                    kind="outcome",
                    recipient=case.referring_email,
                    subject=subject,
                    text_body=render_template(
                        "emails/outcome.txt",
                        case=case,
                        decision=decision,
                        minutes=minutes,
                        conference=conference,
                        corrected=corrected,
                        url=absolute_url("cases.show", case_id=case.id),
                    ),
                    conference_id=conference.id,
                )
            except outbox.RecipientNotAllowed:
                audit.record(None, "minutes.recipient_refused", "case", case.id, patient_id=case.patient_id)


def latest_signed_versions(conference_ids: list[int]) -> dict[int, int]:
    """The newest signed version of each conference's minutes (one query, for lists of meetings)."""
    if not conference_ids:
        return {}
    rows = db.session.execute(
        select(Minutes.conference_id, func.max(Minutes.version))
        .where(Minutes.conference_id.in_(conference_ids), Minutes.status == MinutesStatus.signed)
        .group_by(Minutes.conference_id)
    )
    return dict(rows.all())


def document_of(conference: Conference, version: int) -> Minutes | None:
    return db.session.scalar(
        select(Minutes).where(
            Minutes.conference_id == conference.id, Minutes.version == version, Minutes.status == MinutesStatus.signed
        )
    )
