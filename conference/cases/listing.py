"""What the conference page's case list shows, read as rows of the columns it shows instead of whole objects.

The profile of the 40-case conference page (issue 23) put ORM loading ahead of rendering: building AgendaItem, Case,
Patient and Measurement objects (identity map, every column, every attribute event) cost 3-4 ms of a 17 ms page;
the same list as plain rows costs a tenth of that. Pages that change the list or read a case's record keep loading
objects (cases.services.agenda); this is for showing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.cases.models import Case, Measurement, PreConferenceNote
from conference.extensions import db
from conference.patients.identity import IdentityKind
from conference.patients.models import Patient, PatientNaming


@dataclass(frozen=True)
class ListedPatient(PatientNaming):
    id: int
    given_name: str
    family_name: str
    national_id: str
    id_kind: IdentityKind


@dataclass(frozen=True)
class ListedCase:
    id: int
    patient_id: int
    question: str | None
    required_specialties: list[str]
    patient: ListedPatient
    latest_lld_mm: float | None


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


def case_list_rows(conference, now: datetime) -> CaseListRows:
    """The conference's case list in order, as rows: three queries whatever its length."""
    rows = db.session.execute(
        select(
            AgendaItem.id,
            AgendaItem.version,
            AgendaItem.position,
            AgendaItem.minutes_allotted,
            AgendaItem.outcome,
            AgendaItem.override_reason,
            AgendaItem.carried_over_from_id,
            Case.id,
            Case.question,
            Case.required_specialties,
            Patient.id,
            Patient.given_name,
            Patient.family_name,
            Patient.national_id,
            Patient.id_kind,
        )
        .join(Case, Case.id == AgendaItem.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .where(AgendaItem.conference_id == conference.id)
        .order_by(AgendaItem.position)
    ).all()
    case_ids = [row[7] for row in rows]
    lld = newest_lld(case_ids)
    items = [
        ListedItem(
            *row[:7],
            case=ListedCase(
                id=row[7],
                patient_id=row[10],
                question=row[8],
                required_specialties=row[9] or [],
                patient=ListedPatient(*row[10:15]),
                latest_lld_mm=lld.get(row[7]),
            ),
        )
        for row in rows
    ]
    return CaseListRows(
        items=items,
        capacity_used=len(items),
        deadline=conference.case_deadline,
        deadline_passed=now > conference.case_deadline,
        minutes_total=sum(item.minutes_allotted for item in items),
        note_counts=note_counts(case_ids),
    )
