"""The case list's rules: capacity, deadline, order, minutes allotted, deferral and roll-over to the next meeting.

The callers check what belongs to them first (a case is ready: `cases`; which meeting comes next: `conferences`)
and pass in what the list needs. Conferences arrive as objects with `case_list_open`, `case_deadline` and
`capacity`; cases with `id` and `patient_id`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.agenda.signals import NOT_DISCUSSED_NOTE, case_back_to_queue
from conference.audit import services as audit
from conference.db import StaleEdit, check_version, utcnow
from conference.errors import DomainError
from conference.extensions import db

MINUTES_RANGE = (1, 120)


class AgendaError(DomainError):
    """A change the case list refuses."""


class NeedsOverride(AgendaError):
    """Listing breaks a rule (deadline, capacity) that only an explicit override with a reason may break."""


def check_list_open(conference: Any) -> None:
    if not conference.case_list_open:
        raise AgendaError(_("The case list of a held or cancelled conference cannot change."))


def _check_minutes(minutes: int) -> None:
    low, high = MINUTES_RANGE
    if minutes < low or minutes > high:
        raise AgendaError(_("Minutes per case must be between 1 and 120."), "minutes")


def size(conference_id: int) -> int:
    """How many cases are on the conference's list."""
    return db.session.scalar(select(func.count(AgendaItem.id)).where(AgendaItem.conference_id == conference_id))


def add(
    conference: Any, case: Any, actor, *, minutes: int = 5, override_reason: str | None = None
) -> tuple[AgendaItem, str | None]:
    """Put a case at the end of a conference's list. After the deadline or over capacity this is refused unless an
    override reason is given; the reason is kept on the item. Returns the item and the override used (if any)."""
    if not conference.case_list_open:
        raise AgendaError(_("Cases can only be listed on a scheduled conference."))
    _check_minutes(minutes)
    problems = []
    if utcnow() > conference.case_deadline:
        problems.append(_("the deadline has passed"))
    if size(conference.id) >= conference.capacity:
        problems.append(_("the conference is full (%(capacity)d cases)", capacity=conference.capacity))
    reason = (override_reason or "").strip() or None
    if problems and not reason:
        raise NeedsOverride(
            _("Listing needs an override with a reason: %(problems)s.", problems="; ".join(problems)), "override_reason"
        )
    position = (
        db.session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.conference_id == conference.id)) or 0
    ) + 1
    override = reason if problems else None
    item = AgendaItem(
        conference=conference,
        case=case,
        position=position,
        minutes_allotted=minutes,
        outcome=AgendaOutcome.pending,
        override_reason=override,
        listed_by_id=actor.id,
    )
    db.session.add(item)
    return item, override


def pending_item(case: Any, conference_id: int) -> AgendaItem | None:
    """The case's place on that meeting's list while it waits there."""
    return next(
        (i for i in case.agenda_items if i.conference_id == conference_id and i.outcome is AgendaOutcome.pending),
        None,
    )


def remove(item: AgendaItem, expected_version: int | None = None) -> None:
    """Take a case off the list before it is discussed (the caller puts the case back in the ready queue)."""
    check_list_open(item.conference)
    check_version(item, expected_version)
    if item.outcome is not AgendaOutcome.pending:
        raise AgendaError(_("A case that was discussed stays on the list."))
    conference_id = item.conference_id
    db.session.delete(item)
    db.session.flush()
    _renumber(conference_id)


def _items(conference_id: int) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem).where(AgendaItem.conference_id == conference_id).order_by(AgendaItem.position)
        )
    )


def _renumber(conference_id: int) -> None:
    for number, item in enumerate(_items(conference_id), start=1):
        item.position = number


def reorder(conference: Any, order: list[tuple[int, int]], actor) -> None:
    """Put the case list in the order given as (item id, version the page showed) for every item; a list changed
    since the page was loaded (an item added, removed or edited) raises StaleEdit."""
    check_list_open(conference)
    items = {item.id: item for item in _items(conference.id)}
    if sorted(items) != sorted(item_id for item_id, _version in order):
        raise StaleEdit(None)
    for item_id, version in order:
        check_version(items[item_id], version)
    for position, (item_id, _version) in enumerate(order, start=1):
        if items[item_id].position != position:
            items[item_id].position = position
    db.session.flush()
    audit.record(actor, "agenda.reorder", "conference", conference.id)


def move(item: AgendaItem, direction: int, actor, expected_version: int | None = None) -> None:
    """Swap a case with its neighbour above (-1) or below (+1). Both rows' versions move, so a racing edit of
    either is refused."""
    check_list_open(item.conference)
    check_version(item, expected_version)
    items = _items(item.conference_id)
    index = items.index(item)
    other = index + direction
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for number, each in enumerate(items, start=1):
            each.position = number
        db.session.flush()
    audit.record(actor, "agenda.reorder", "conference", item.conference_id)


def set_minutes(item: AgendaItem, minutes: int, actor, expected_version: int | None = None) -> None:
    """Change the minutes allotted to a case on the list."""
    check_list_open(item.conference)
    check_version(item, expected_version)
    _check_minutes(minutes)
    item.minutes_allotted = minutes
    db.session.flush()
    audit.record(
        actor,
        "agenda.minutes",
        "case",
        item.case_id,
        patient_id=item.case.patient_id,
        detail={"conference": item.conference_id, "minutes": minutes},
    )


def mark_discussed(item: AgendaItem) -> None:
    """For the meetings module: the case got a decision at this conference."""
    item.outcome = AgendaOutcome.discussed


def defer(item: AgendaItem, actor, *, reason: str = "meeting.defer") -> None:
    """The case was not reached at its conference: it rolls to the next one when the minutes are signed."""
    if item.outcome is AgendaOutcome.deferred:
        return
    item.outcome = AgendaOutcome.deferred
    audit.record(
        actor, reason, "case", item.case_id, patient_id=item.case.patient_id, detail={"conference": item.conference_id}
    )


def defer_unreached(conference: Any, decided_item_ids: set[int], actor) -> None:
    """At signing: every case still waiting without a decision is deferred."""
    for item in db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.conference_id == conference.id, AgendaItem.outcome == AgendaOutcome.pending)
        .options(joinedload(AgendaItem.case))
    ):
        if item.id not in decided_item_ids:
            defer(item, actor, reason="minutes.defer_unreached")


def roll_over(conference: Any, target: Any | None, actor) -> int:
    """Move the cases not discussed (pending or deferred) to `target`, at the top of its list in their old order;
    with no target they go back to the ready queue (the `case_back_to_queue` signal tells the cases module).
    Returns how many cases moved to the target."""
    leftovers = list(
        db.session.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.conference_id == conference.id,
                AgendaItem.outcome.in_([AgendaOutcome.pending, AgendaOutcome.deferred]),
            )
            .order_by(AgendaItem.position)
            .options(joinedload(AgendaItem.case))
        )
    )
    if not leftovers:
        return 0
    if target is None:
        for item in leftovers:
            item.outcome = AgendaOutcome.deferred
            case_back_to_queue.send(item.case, actor=actor, note=NOT_DISCUSSED_NOTE)
            audit.record(
                actor,
                "case.back_to_queue",
                "case",
                item.case_id,
                patient_id=item.case.patient_id,
                detail={"from": conference.id},
            )
        return 0
    already = set(db.session.scalars(select(AgendaItem.case_id).where(AgendaItem.conference_id == target.id)))
    moving = [i for i in leftovers if i.case_id not in already]
    # Make room at the top, keeping the order of what is there.
    db.session.execute(
        update(AgendaItem)
        .where(AgendaItem.conference_id == target.id)
        .values(position=AgendaItem.position + len(moving))
    )
    for number, item in enumerate(moving, start=1):
        item.outcome = AgendaOutcome.deferred
        db.session.add(
            AgendaItem(
                conference=target,
                case=item.case,
                position=number,
                minutes_allotted=item.minutes_allotted,
                outcome=AgendaOutcome.pending,
                carried_over_from_id=item.id,
                listed_by_id=actor.id if actor else None,
                override_reason=str(_l("Carried over from the previous conference")),
            )
        )
        audit.record(
            actor,
            "case.carry_over",
            "case",
            item.case_id,
            patient_id=item.case.patient_id,
            detail={"from": conference.id, "to": target.id},
        )
    db.session.flush()
    return len(moving)
