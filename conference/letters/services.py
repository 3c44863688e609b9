"""Letters to the patient after the conference: prepared by the responsible clinician from the signed decision,
reviewed (the text is edited; optimistic lock), sent as a stored document (.docx and the PDF made from it, kept once
by SHA-256), answered by the patient; an unanswered letter becomes the coordinators' action, a declined proposal
puts the case back on the ready queue, and an amendment of the minutes supersedes the letters already written.

A letter holds what the patient may read: the proposal, its plan and dates, the patient's own wishes, whom to
contact. Never the conference's internals (notes, the rationale as written for colleagues, who attended or
disagreed) and nothing about another patient: the text is made only from this decision and this patient."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import joinedload

from conference import policy
from conference.audit import services as audit
from conference.cases import services as cases
from conference.cases.models import Case
from conference.conferences.models import Conference
from conference.db import check_version, local_today, utcnow
from conference.documents import services as documents
from conference.errors import DomainError
from conference.extensions import db
from conference.letters import texts
from conference.letters.document import LetterData, build_letter
from conference.letters.models import (
    Answer,
    Letter,
    LetterAction,
    LetterActionKind,
    LetterActionStatus,
    LetterStatus,
    LetterTemplate,
)
from conference.meetings import services as meetings
from conference.meetings.models import Decision, Treatment
from conference.minutes.signals import minutes_amended
from conference.patients.models import Patient
from conference.people.models import User

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
LIVE = (LetterStatus.draft, LetterStatus.sent)


class LetterError(DomainError):
    """A step with a letter that its rules refuse."""


# --- templates -----------------------------------------------------------------------------------------------


@dataclass
class TemplateText:
    treatment: Treatment
    language: str
    body: str
    child_text: str
    version: int  # 0: the built-in text, not edited yet


def template(treatment: Treatment, language: str) -> TemplateText:
    """The unit's text for a treatment in a language: its own edited one, or the built-in default."""
    row = db.session.scalar(
        select(LetterTemplate).where(LetterTemplate.treatment == treatment.value, LetterTemplate.language == language)
    )
    if row is not None:
        return TemplateText(treatment, language, row.body, row.child_text, row.version)
    body, child_text = texts.TEMPLATES[treatment.value][language]
    return TemplateText(treatment, language, body, child_text, 0)


def save_template(
    treatment: Treatment, language: str, *, body: str, child_text: str, expected_version: int | None, actor: User
) -> LetterTemplate:
    """Replace a treatment's text in one language (the letters already written keep theirs)."""
    if language not in texts.FRAME:
        raise LetterError(_("Choose Swedish or English."), "language")
    if not (body or "").strip():
        raise LetterError(_("Write the letter's text."), "body")
    row = db.session.scalar(
        select(LetterTemplate).where(LetterTemplate.treatment == treatment.value, LetterTemplate.language == language)
    )
    check_version(row, expected_version)
    if row is None:
        row = LetterTemplate(treatment=treatment.value, language=language)
        db.session.add(row)
    row.body = body.strip()
    row.child_text = (child_text or "").strip()
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "letter.template", "letter_template", row.id, detail={"treatment": treatment.value})
    return row


# --- the text of a letter ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Put the values into a template's placeholders; an unknown placeholder stays as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


def is_child(patient: Patient, on: date) -> bool:
    return patient.age_on(on) < current_app.config["REHAB_ADULT_FROM_AGE"]


def _date(day: date | None, language: str) -> str | None:
    if day is None:
        return None
    with force_locale(language):
        return format_date(day, "long")


def _number(value: float, language: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if language == "sv" else text


def plan_values(decision: Decision, language: str) -> dict[str, str]:
    """The proposal's facts in the patient's language: what, which side, and the dates of the rehabilitation plan
    (surgery, latency, distraction at the planned rate, end of consolidation, visits) and the next appointment."""
    frame = texts.FRAME[language]
    later = frame["to_be_set"]
    with force_locale(language):
        treatment = decision.treatment.label.lower()
    side = decision.case.side.value if decision.case.side is not None else None
    values = {
        "treatment": treatment,
        "side": frame["sides"].get(side, frame["sides"]["both"]) if side else frame["sides"]["both"],
        "follow_up_date": _date(decision.follow_up_on, language) or later,
    }
    plan = decision.rehab_plan
    computed = meetings.compute_plan(plan) if plan is not None else None
    values["surgery_date"] = frame["date_later"]
    if plan is not None:
        values["surgery_date"] = _date(plan.surgery_on, language) or frame["date_later"]
        if plan.device:
            with force_locale(language):
                values["device"] = plan.device_label.lower()
    if computed is not None:
        distraction = [day for day, phase in computed.visits if phase == "distraction"]
        values.update(
            latency_days=str(plan.latency_days),
            rate=_number(plan.rate_mm_per_day, language),
            target_cm=_number(round(plan.target_mm / 10, 1), language),
            distraction_start=_date(computed.distraction_start, language),
            distraction_end=_date(computed.distraction_end, language),
            consolidation_end=_date(computed.consolidation_end, language),
            months=str(max(1, round((computed.consolidation_end - computed.surgery_on).days / 30.44))),
            visit_count=str(len(computed.visits)),
            first_visit=_date(distraction[0] if distraction else computed.visits[0][0], language),
        )
    for key in (
        "surgery_date",
        "latency_days",
        "rate",
        "target_cm",
        "distraction_start",
        "distraction_end",
        "consolidation_end",
        "months",
        "visit_count",
        "first_visit",
        "device",
    ):
        values.setdefault(key, later)
    return values


def draft_text(decision: Decision, patient: Patient, language: str, *, answer_by: date, clinician: User) -> str:
    """The letter's text before review: greeting, what the conference proposes and what happens when, the
    patient's own wishes, a paragraph a child can be told, the next appointment, the answer asked for, whom to
    contact. Made from this decision and this patient only."""
    frame = texts.FRAME[language]
    conference = decision.conference
    child = is_child(patient, conference.starts_at.date())
    values = plan_values(decision, language) | {
        "full_name": patient.name,
        "first_name": patient.given_name,
        "conference_date": _date(conference.starts_at.date(), language),
        "answer_by": _date(answer_by, language),
        "clinician": clinician.name,
        "unit": current_app.config["CONFERENCE_UNIT_NAME"],
        "contact": current_app.config["LETTER_CONTACT"],
    }
    chosen = template(decision.treatment, language)
    parts = [
        frame["greeting_child" if child else "greeting_adult"],
        frame["intro_child" if child else "intro_adult"],
        frame["proposal"],
        chosen.body,
    ]
    wishes = (decision.patient_wishes or "").strip()
    if wishes:
        parts.append(frame["wishes_child" if child else "wishes_adult"].replace("{wishes}", wishes))
    if child and chosen.child_text:
        parts += [frame["for_child"], chosen.child_text]
    parts.append(frame["next_appointment"] if decision.follow_up_on else frame["no_appointment"])
    parts += [frame["answer"], frame["contact"]]
    return "\n\n".join(fill(part, values) for part in parts)


# --- reading ---------------------------------------------------------------------------------------------------


def get_letter(letter_id: int) -> Letter | None:
    return db.session.scalar(
        select(Letter)
        .where(Letter.id == letter_id)
        .options(joinedload(Letter.decision).joinedload(Decision.rehab_plan), joinedload(Letter.patient))
    )


def live_letter(decision_id: int) -> Letter | None:
    """The decision's letter that counts: a draft or a sent one (superseded ones are history)."""
    return db.session.scalar(
        select(Letter).where(Letter.decision_id == decision_id, Letter.status.in_(LIVE)).order_by(Letter.id.desc())
    )


@dataclass
class LetterRow:
    decision: Decision
    case: Case
    letter: Letter | None
    superseded: int  # how many earlier letters about this decision were superseded


def letters_of(conference: Conference) -> list[LetterRow]:
    """Each decision of the meeting with its letter (if prepared), in the order of the case list. Two queries."""
    decisions = list(
        db.session.scalars(
            select(Decision)
            .where(Decision.conference_id == conference.id)
            .options(joinedload(Decision.case).joinedload(Case.patient), joinedload(Decision.agenda_item))
        )
    )
    decisions.sort(key=lambda d: d.agenda_item.position)
    letters = list(db.session.scalars(select(Letter).where(Letter.conference_id == conference.id).order_by(Letter.id)))
    live = {letter.decision_id: letter for letter in letters if letter.status in LIVE}
    superseded: dict[int, int] = {}
    for letter in letters:
        if letter.status is LetterStatus.superseded:
            superseded[letter.decision_id] = superseded.get(letter.decision_id, 0) + 1
    return [LetterRow(d, d.case, live.get(d.id), superseded.get(d.id, 0)) for d in decisions]


def letters_for_patient(patient_id: int, limit: int = 50) -> list[Letter]:
    return list(
        db.session.scalars(
            select(Letter).where(Letter.patient_id == patient_id).order_by(Letter.id.desc()).limit(limit)
        )
    )


def open_actions(limit: int = 100) -> list[LetterAction]:
    """The coordinators' open letter actions, oldest due first (bounded)."""
    return list(
        db.session.scalars(
            select(LetterAction)
            .where(LetterAction.status == LetterActionStatus.open)
            .options(joinedload(LetterAction.letter).joinedload(Letter.patient))
            .order_by(LetterAction.due_on, LetterAction.id)
            .limit(limit)
        )
    )


def view(letter: Letter, actor: User) -> None:
    """Record that the letter (and so its patient) was shown."""
    audit.record(actor, "letter.view", "letter", letter.id, patient_id=letter.patient_id)


# --- writing ---------------------------------------------------------------------------------------------------


def prepare(decision: Decision, actor: User, *, answer_by: date | None = None) -> Letter:
    """The responsible clinician prepares the letter about a decision of signed minutes (or opens the one already
    prepared). The text comes from the template of the decision's treatment in the patient's language; the answer
    is asked for by `answer_by` (default: LETTER_ANSWER_DAYS from today)."""
    conference = decision.conference
    case = decision.case
    if not policy.can_prepare_letter(actor, conference, case):
        raise LetterError(_("Only the chair or the case's surgeon prepares the letter."))
    if not meetings.is_locked(conference):
        raise LetterError(_("Letters are prepared from signed minutes: sign the minutes first."))
    existing = live_letter(decision.id)
    if existing is not None:
        return existing
    patient = case.patient
    language = patient.language if patient.language in texts.FRAME else "sv"
    answer_by = answer_by or local_today() + timedelta(days=current_app.config["LETTER_ANSWER_DAYS"])
    letter = Letter(
        decision_id=decision.id,
        case_id=case.id,
        patient_id=patient.id,
        conference_id=conference.id,
        language=language,
        status=LetterStatus.draft,
        body=draft_text(decision, patient, language, answer_by=answer_by, clinician=actor),
        prepared_by_id=actor.id,
        answer_due_on=answer_by,
    )
    db.session.add(letter)
    for action in db.session.scalars(  # the new letter the amendment asked for
        select(LetterAction)
        .join(Letter, Letter.id == LetterAction.letter_id)
        .where(Letter.decision_id == decision.id, LetterAction.status == LetterActionStatus.open)
    ):
        _close(action, actor)
    db.session.flush()
    audit.record(actor, "letter.prepare", "letter", letter.id, patient_id=patient.id, detail={"decision": decision.id})
    return letter


def _check_draft(letter: Letter, actor: User) -> None:
    if not policy.can_prepare_letter(actor, letter.decision.conference, letter.decision.case):
        raise LetterError(_("Only the chair or the case's surgeon prepares the letter."))
    if letter.status is not LetterStatus.draft:
        raise LetterError(_("This letter was sent or superseded: it no longer changes."))


def update_text(letter: Letter, body: str, *, expected_version: int | None, actor: User) -> Letter:
    """The clinician's review: the text as it will be sent. A stale version raises StaleEdit."""
    _check_draft(letter, actor)
    check_version(letter, expected_version)
    if not (body or "").strip():
        raise LetterError(_("Write the letter's text."), "body")
    letter.body = body.strip()
    letter.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "letter.edit", "letter", letter.id, patient_id=letter.patient_id)
    return letter


def addressees(patient: Patient, on: date) -> list[tuple[str, str]]:
    """A child's letter goes to the guardians recorded on the patient; an adult's to the patient."""
    if is_child(patient, on):
        return [(g.name, g.address or "") for g in patient.guardians]
    return [(patient.name, patient.address or "")]


def document_data(letter: Letter, *, signer: User | None = None) -> LetterData:
    decision = letter.decision
    patient = letter.patient
    frame = texts.FRAME[letter.language]
    when = (letter.sent_at or utcnow()).date()
    signer = signer or letter.sent_by or letter.prepared_by
    unit = current_app.config["CONFERENCE_UNIT_NAME"]
    return LetterData(
        title=frame["title"],
        unit=unit,
        author=signer.name if signer else unit,
        created=(letter.sent_at or utcnow()).replace(tzinfo=None),
        language="sv-SE" if letter.language == "sv" else "en-GB",
        date_line=_date(when, letter.language),
        addressees=addressees(patient, decision.conference.starts_at.date()),
        regarding=f"{frame['regarding']}: {patient.name}, {frame['identity'].lower()} {patient.national_id_display}",
        body=letter.body,
        signature=[frame["signature"], signer.name if signer else "", unit],
        page_label=frame["page"],
        of_label=frame["of"],
    )


def draft_document(letter: Letter, actor: User) -> bytes:
    """The letter as it stands, for review (built on request, never stored)."""
    audit.record(actor, "letter.draft_download", "letter", letter.id, patient_id=letter.patient_id)
    return build_letter(document_data(letter, signer=actor))


def send(letter: Letter, *, expected_version: int | None, actor: User, at: datetime | None = None) -> Letter:
    """Mark the reviewed letter sent: the .docx and the PDF made from it are stored once (by SHA-256) and linked to
    the letter, for the hospital's mail route or digital mailbox. A child's letter needs the guardians recorded, an
    adult's the address."""
    from conference.documents.pdf import docx_to_pdf

    _check_draft(letter, actor)
    check_version(letter, expected_version)
    if not meetings.is_locked(letter.decision.conference):
        raise LetterError(_("The minutes are being amended: the letter waits for the new signature."))
    patient = letter.patient
    to = addressees(patient, letter.decision.conference.starts_at.date())
    if not to:
        raise LetterError(_("Record the guardians on the patient's page: a child's letter goes to them."))
    if any(not address.strip() for _name, address in to):
        raise LetterError(_("Record the postal address on the patient's page before sending."))
    letter.sent_at = at or utcnow()  # (at: the demo's history, entered as if sent then)
    letter.sent_by_id = actor.id
    letter.sent_by = actor
    payload = build_letter(document_data(letter, signer=actor))
    docx = documents.store(payload, DOCX)
    pdf = documents.store(docx_to_pdf(payload), PDF)
    letter.docx_document_id, letter.docx_sha256 = docx.id, docx.sha256
    letter.pdf_document_id, letter.pdf_sha256 = pdf.id, pdf.sha256
    letter.status = LetterStatus.sent
    db.session.flush()
    audit.record(
        actor, "letter.send", "letter", letter.id, patient_id=patient.id, detail={"sha256": letter.docx_sha256}
    )
    return letter


def stored_document(letter: Letter, kind: str, actor: User) -> bytes | None:
    """The sent letter's .docx or PDF, checked against the SHA-256 recorded when it was sent (DocumentTampered)."""
    document_id, digest = (
        (letter.docx_document_id, letter.docx_sha256) if kind == "docx" else (letter.pdf_document_id, letter.pdf_sha256)
    )
    if document_id is None:
        return None
    data = documents.read(document_id, digest)
    audit.record(actor, "letter.download", "letter", letter.id, patient_id=letter.patient_id, detail={"kind": kind})
    return data


def filename(letter: Letter, kind: str) -> str:
    return f"letter-{letter.id}-{letter.sent_at or utcnow():%Y-%m-%d}.{kind}"


def record_answer(letter: Letter, answer: Answer, note: str | None, *, actor: User) -> Letter:
    """The patient's answer to a sent letter. A decline puts the case back on the ready queue with the reason;
    any answer closes the coordinators' "no answer" action."""
    decision = letter.decision
    if not policy.can_record_letter_answer(actor, decision.conference, decision.case):
        raise LetterError(_("Only a coordinator or the responsible clinician records the answer."))
    if letter.status is not LetterStatus.sent:
        raise LetterError(_("Only a sent letter is answered."))
    if letter.answer is not None:
        raise LetterError(_("The answer is already recorded."))
    note = (note or "").strip() or None
    if answer is Answer.declines and not note:
        raise LetterError(_("Write the patient's reason for declining."), "note")
    letter.answer = answer
    letter.answer_note = note
    letter.answered_at = utcnow()
    letter.answer_recorded_by_id = actor.id
    for action in letter.actions:
        if action.kind is LetterActionKind.no_answer and action.status is LetterActionStatus.open:
            _close(action, actor)
    if answer is Answer.declines:
        cases.return_to_ready_queue(
            decision.case, actor, reason=_("The patient declined the proposal: %(reason)s", reason=note)
        )
    db.session.flush()
    audit.record(
        actor, "letter.answer", "letter", letter.id, patient_id=letter.patient_id, detail={"answer": answer.value}
    )
    return letter


def _close(action: LetterAction, actor: User | None) -> None:
    action.status = LetterActionStatus.done
    action.done_at = utcnow()
    action.done_by_id = actor.id if actor else None


def complete_action(action: LetterAction, actor: User) -> None:
    if not policy.is_coordinator(actor):
        raise LetterError(_("Only a coordinator closes this action."))
    if action.status is LetterActionStatus.open:
        _close(action, actor)
        audit.record(actor, "letter.action_done", "letter", action.letter_id, patient_id=action.letter.patient_id)


def sweep_unanswered(today: date | None = None) -> int:
    """Every sent letter without an answer after its date becomes one action for the coordinators. Safe to run
    twice (and by two schedulers): one action per letter and kind, the unique key refuses a second."""
    today = today or local_today()
    overdue = list(
        db.session.scalars(
            select(Letter)
            .where(
                Letter.status == LetterStatus.sent,
                Letter.answer.is_(None),
                Letter.answer_due_on < today,
                ~exists().where(
                    and_(LetterAction.letter_id == Letter.id, LetterAction.kind == LetterActionKind.no_answer)
                ),
            )
            .limit(500)
        )
    )
    for letter in overdue:
        db.session.add(LetterAction(letter_id=letter.id, kind=LetterActionKind.no_answer, due_on=today))
        audit.record(None, "letter.no_answer", "letter", letter.id, patient_id=letter.patient_id)
    db.session.flush()
    return len(overdue)


@minutes_amended.connect
def supersede(conference: Conference, *, actor: User, version: int) -> int:
    """The minutes were amended: the meeting's letters no longer rest on signed minutes. Drafts and sent letters
    are marked superseded; a sent one also asks for a new letter (an action) once the amendment is signed."""
    letters = list(
        db.session.scalars(select(Letter).where(Letter.conference_id == conference.id, Letter.status.in_(LIVE)))
    )
    now = utcnow()
    for letter in letters:
        was_sent = letter.status is LetterStatus.sent
        letter.status = LetterStatus.superseded
        letter.superseded_at = now
        if was_sent:
            db.session.add(LetterAction(letter_id=letter.id, kind=LetterActionKind.new_letter, due_on=local_today()))
        audit.record(
            actor, "letter.superseded", "letter", letter.id, patient_id=letter.patient_id, detail={"minutes": version}
        )
    db.session.flush()
    return len(letters)
