"""What list pages show of cases (the conference page's case list, the ready queue), read as rows of the columns
they show instead of whole objects.

The profile of the 40-case conference page (issue 23) put ORM loading ahead of rendering: building AgendaItem, Case,
Patient and Measurement objects (identity map, every column, every attribute event) cost 3-4 ms of a 17 ms page;
the same list as plain rows costs a tenth of that. Pages that change a list or read a case's record keep loading
objects (cases.services.agenda); this is for showing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.cases.models import Case, CaseLabels, CaseStatus, Measurement, PreConferenceNote, Priority
from conference.extensions import db
from conference.patients.identity import IdentityKind
from conference.patients.models import Patient, PatientNaming, Sex


@dataclass(frozen=True)
class ListedPatient(PatientNaming):
    id: int
    given_name: str
    family_name: str
    national_id: str
    id_kind: IdentityKind
    sex: Sex
    date_of_birth: date


@dataclass(frozen=True)
class ListedCase(CaseLabels):
    id: int
    patient_id: int
    status: CaseStatus
    priority: Priority
    referred_at: datetime
    diagnosis: str | None
    diagnosis_text: str | None
    question: str | None
    required_specialties: list[str]
    patient: ListedPatient
    latest_lld_mm: float | None = None


# The columns of a listed case and its patient, in ListedCase's and ListedPatient's order.
CASE_COLUMNS = (
    Case.id,
    Case.patient_id,
    Case.status,
    Case.priority,
    Case.referred_at,
    Case.diagnosis,
    Case.diagnosis_text,
    Case.question,
    Case.required_specialties,
)
PATIENT_COLUMNS = (
    Patient.id,
    Patient.given_name,
    Patient.family_name,
    Patient.national_id,
    Patient.id_kind,
    Patient.sex,
    Patient.date_of_birth,
)


def _listed_case(row, lld: dict[int, float] | None = None) -> ListedCase:
    """A ListedCase from a row that ends with CASE_COLUMNS then PATIENT_COLUMNS."""
    case = row[-len(CASE_COLUMNS) - len(PATIENT_COLUMNS) : -len(PATIENT_COLUMNS)]
    return ListedCase(
        *case[:-1],
        required_specialties=case[-1] or [],
        patient=ListedPatient(*row[-len(PATIENT_COLUMNS) :]),
        latest_lld_mm=(lld or {}).get(case[0]),
    )


@dataclass(frozen=True)
class ListedItem:
    id: int
    version: int
    position: int
    minutes_allotted: int
    outcome: AgendaOutcome
    override_reason: str | None
    carried_over_from_id: int | None
    case: ListedCase

    @property
    def case_id(self) -> int:
        return self.case.id


@dataclass
class CaseListRows:
    """A conference's case list as the page shows it, with its totals."""

    items: list[ListedItem]
    capacity_used: int
    deadline: datetime
    deadline_passed: bool
    minutes_total: int
    note_counts: dict[int, int]


def note_counts(case_ids: list[int]) -> dict[int, int]:
    """How many pre-conference notes each case has: counted in SQL, not loaded."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(PreConferenceNote.case_id, func.count(PreConferenceNote.id))
        .where(PreConferenceNote.case_id.in_(case_ids))
        .group_by(PreConferenceNote.case_id)
    )
    return dict(rows.all())


def newest_lld(case_ids: list[int]) -> dict[int, float]:
    """Each case's newest leg-length difference (mm, by date then id). Ranked in one pass over the listed cases'
    measurements (a few each): half the time of a correlated "newest" subquery per measurement row."""
    if not case_ids:
        return {}
    newest_first = (Measurement.measured_on.desc(), Measurement.id.desc())
    ranked = (
        select(
            Measurement.case_id,
            Measurement.lld_mm,
            func.row_number().over(partition_by=Measurement.case_id, order_by=newest_first).label("rank"),
        )
        .where(Measurement.case_id.in_(case_ids))
        .subquery()
    )
    return dict(db.session.execute(select(ranked.c.case_id, ranked.c.lld_mm).where(ranked.c.rank == 1)).all())


ITEM_COLUMNS = (
    AgendaItem.id,
    AgendaItem.version,
    AgendaItem.position,
    AgendaItem.minutes_allotted,
    AgendaItem.outcome,
    AgendaItem.override_reason,
    AgendaItem.carried_over_from_id,
)


def case_list_rows(conference, now: datetime, *, lld: bool = True) -> CaseListRows:
    """The conference's case list in order, as rows: three queries whatever its length (two without the newest
    LLD, which the printed list does not show)."""
    rows = db.session.execute(
        select(*ITEM_COLUMNS, *CASE_COLUMNS, *PATIENT_COLUMNS)
        .join(Case, Case.id == AgendaItem.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .where(AgendaItem.conference_id == conference.id)
        .order_by(AgendaItem.position)
    ).all()
    case_ids = [row[len(ITEM_COLUMNS)] for row in rows]
    newest = newest_lld(case_ids) if lld else {}
    items = [ListedItem(*row[: len(ITEM_COLUMNS)], case=_listed_case(row, newest)) for row in rows]
    return CaseListRows(
        items=items,
        capacity_used=len(items),
        deadline=conference.case_deadline,
        deadline_passed=now > conference.case_deadline,
        minutes_total=sum(item.minutes_allotted for item in items),
        note_counts=note_counts(case_ids),
    )


def ready_queue(limit: int, now: datetime) -> list[tuple[ListedCase, int]]:
    """Ready cases waiting for a conference, most urgent and longest waiting first, with days since referral;
    at most `limit` (the page says how many more there are: services.ready_count). One query per priority, each
    read in order from the index on (status, priority, referred_at, id) and stopped at the limit: never a sort of
    every ready case (a sorted expression over them made PostgreSQL scan the whole table at 100k cases)."""
    listed: list[ListedCase] = []
    for priority in (Priority.urgent, Priority.soon, Priority.routine):
        if len(listed) >= limit:
            break
        rows = db.session.execute(
            select(*CASE_COLUMNS, *PATIENT_COLUMNS)
            .join(Patient, Patient.id == Case.patient_id)
            .where(Case.status == CaseStatus.ready, Case.priority == priority)
            .order_by(Case.referred_at, Case.id)
            .limit(limit - len(listed))
        )
        listed += [_listed_case(row) for row in rows]
    return [(case, (now - case.referred_at).days) for case in listed]
