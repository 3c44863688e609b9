"""The outbox: queue emails in the caller's transaction, dispatch them from the scheduler."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from conference.db import utcnow
from conference.extensions import db
from conference.notifications import mailer
from conference.notifications.models import EmailAttachment, EmailStatus, OutboundEmail
from conference.notifications.outbox import lease


class RecipientNotAllowed(ValueError):
    """The address is outside the configured internal mail domains."""


def check_recipient(address: str) -> None:
    allowed = current_app.config["MAIL_ALLOWED_DOMAINS"]
    if not mailer.recipient_domain_allowed(address, allowed):
        raise RecipientNotAllowed(
            _(
                "%(address)s is outside the allowed mail domains (%(domains)s); no email was queued for it.",
                address=address,
                domains=", ".join(allowed),
            )
        )


def _stored_type(document_id: int) -> str:
    from conference.documents.models import StoredDocument

    return db.session.get(StoredDocument, document_id).content_type


def queue_email(
    *,
    dedupe_key: str,
    kind: str,
    recipient: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    ics: str | None = None,
    ics_method: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    documents: list[tuple[str, int]] = (),
    conference_id: int | None = None,
) -> OutboundEmail | None:
    """Add an email to the outbox in the current transaction. Returns None when an email with this dedupe key
    already exists (it was queued before: nothing is sent twice). Raises RecipientNotAllowed for external domains.
    `documents` attach stored documents (filename, stored document id) by reference: a signed file is kept once."""
    check_recipient(recipient)
    existing = db.session.scalar(select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    email = OutboundEmail(
        dedupe_key=dedupe_key,
        kind=kind,
        recipient=recipient,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        ics=ics,
        ics_method=ics_method,
        conference_id=conference_id,
        status=EmailStatus.pending,
        attempts=0,
        next_attempt_at=utcnow(),
        message_id=mailer.message_id(current_app.config["MAIL_SENDER"]),
        attachments=[EmailAttachment(filename=n, content_type=t, data=d) for n, t, d in attachments]
        + [EmailAttachment(filename=n, content_type=_stored_type(i), document_id=i) for n, i in documents],
    )
    # A savepoint, so a concurrent sweep that queued the same key first costs us only this row.
    try:
        with db.session.begin_nested():
            db.session.add(email)
    except IntegrityError:
        return None
    return email


def problems() -> dict[str, int]:
    """What operations and coordinators must see: failed emails, claims older than the lease (a dispatcher that
    died), and due emails nobody has sent for a while (no scheduler running)."""
    now = utcnow()
    overdue = now - timedelta(seconds=3 * current_app.config["SCHEDULER_OUTBOX_INTERVAL"] + 300)
    failed, stuck, waiting = db.session.execute(
        select(
            func.count().filter(OutboundEmail.status == EmailStatus.failed),
            func.count().filter(OutboundEmail.status == EmailStatus.sending, OutboundEmail.claimed_at < now - lease()),
            func.count().filter(OutboundEmail.status == EmailStatus.pending, OutboundEmail.next_attempt_at < overdue),
        ).where(  # the sent ones, years of them, are not read
            OutboundEmail.status.in_((EmailStatus.failed, EmailStatus.sending, EmailStatus.pending))
        )
    ).one()
    return {"failed": failed, "stuck": stuck, "waiting": waiting}


def retry_all_failed() -> int:
    """Put every failed email back in the queue with fresh attempts (after the cause was fixed)."""
    return db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.failed)
        .values(status=EmailStatus.pending, attempts=0, next_attempt_at=utcnow(), claim_token=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def retry(email: OutboundEmail) -> None:
    """Put a failed email back in the queue now, with a fresh set of attempts."""
    if email.status == EmailStatus.failed:
        email.status = EmailStatus.pending
        email.attempts = 0
        email.next_attempt_at = utcnow()
        email.claim_token = None


def outbox(status: EmailStatus | None = None, limit: int = 200) -> list[OutboundEmail]:
    query = select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboundEmail.status == status)
    return list(db.session.scalars(query))


def counts(statuses=tuple(EmailStatus)) -> dict[EmailStatus, int]:
    rows = db.session.execute(
        select(OutboundEmail.status, func.count())
        .where(OutboundEmail.status.in_(statuses))
        .group_by(OutboundEmail.status)
    )
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in EmailStatus}
