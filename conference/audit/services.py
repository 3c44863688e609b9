"""Recording and reading audit events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from conference.audit.models import AuditEvent
from conference.extensions import db

if TYPE_CHECKING:
    from conference.people.models import User


def record(
    actor: User | None,
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
    actor: User | None,
    action: str,
    target_type: str,
    shown: list[tuple[int, int | None]],
    *,
    detail: dict[str, Any] | None = None,
) -> int:
    """One audit event per record a page showed (a case list, a meeting, search results), as (target id,
    patient id) pairs, written in a single INSERT so the page's query count does not grow with its rows."""
    from sqlalchemy import insert

    from conference.db import utcnow

    text = json.dumps(detail, default=str, ensure_ascii=False, sort_keys=True) if detail else None
    rows = [
        {
            "at": utcnow(),
            "actor_id": getattr(actor, "id", None),
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "patient_id": patient_id,
            "detail": text,
        }
        for target_id, patient_id in shown
    ]
    if rows:
        db.session.execute(insert(AuditEvent).values(rows))
    return len(rows)


def patient_access_log(patient_id: int, limit: int = 500) -> list[AuditEvent]:
    """Every recorded access to a patient and their cases, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.actor))
            .where(AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def recent(limit: int = 200) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(limit)
        )
    )
