"""Recording and reading audit events."""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import joinedload

from conference.audit.models import AuditEvent
from conference import transaction
from conference.extensions import db



class Actor(Protocol):
    """Whoever acted: a user (the audit log sits below every module, so it names no user class)."""

    id: int


def record(
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    patient_id: int | None = None,
    detail: dict[str, Any] | str | None = None,
) -> AuditEvent:
    """Write one audit event in the caller's transaction (so it commits or rolls back with the change)."""
    if isinstance(detail, dict):
        detail = json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True)
    event = AuditEvent(
        actor_id=actor.id if actor is not None and getattr(actor, "id", None) else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        patient_id=patient_id,
        detail=detail,
    )
    db.session.add(event)
    return event


def record_shown(
    actor: Actor | None,
    action: str,
    target_type: str,
    shown: list[tuple[int, int | None]],
    *,
    detail: dict[str, Any] | None = None,
) -> int:
    """One audit event per record a page showed (a case list, a meeting, search results), as (target id,
    patient id) pairs. In a request they are written at its end, whatever its outcome (a refused form that showed
    a patient showed it all the same), in a single INSERT with everything else the request showed, so a page's
    query count does not grow with its rows. Outside a request they are written at once."""
    from flask import g, has_request_context

    from conference.db import utcnow

    text = json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True) if detail else None
    at, actor_id = utcnow(), getattr(actor, "id", None)  # once: the same moment and reader for the whole page
    rows = [
        {
            "at": at,
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "patient_id": patient_id,
            "detail": text,
        }
        for target_id, patient_id in shown
    ]
    if not rows:
        return 0
    if has_request_context():
        pending = g.get("_shown_rows")
        if pending is None:
            pending = g._shown_rows = []
            transaction.keep(lambda _status: _insert_shown(pending))
        pending.extend(rows)
    else:
        _insert_shown(rows)
    return len(rows)


def _insert_shown(rows: list[dict[str, Any]]) -> None:
    # executemany on the table (not the ORM's bulk path, which processes each row through the mapper): one cached
    # statement sent in batches, instead of compiling a new one with rows x 7 parameters per view
    db.session.execute(insert(AuditEvent.__table__), rows)


PAGE = 100


def _page(query, before: int | None, limit: int) -> tuple[list[AuditEvent], int | None]:
    """One page, newest first, and the cursor of the next (older) page: keyset paging on the id, so page 600 costs
    what page 1 does (no OFFSET)."""
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(
        db.session.scalars(query.options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(limit + 1))
    )
    older = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], older


def patient_access_log(
    patient_id: int, *, before: int | None = None, limit: int = PAGE
) -> tuple[list[AuditEvent], int | None]:
    """Every recorded access to a patient and their cases, newest first, a page at a time."""
    return _page(select(AuditEvent).where(AuditEvent.patient_id == patient_id), before, limit)


def recent(*, before: int | None = None, limit: int = PAGE) -> tuple[list[AuditEvent], int | None]:
    return _page(select(AuditEvent), before, limit)
