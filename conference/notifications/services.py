"""The outbox: queue emails in the caller's transaction, dispatch them from the scheduler."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from conference.db import utcnow
from conference.extensions import db
from conference.notifications import mailer
from conference.notifications.models import EmailAttachment, EmailStatus, OutboundEmail

log = logging.getLogger(__name__)

# A claim older than this is taken to belong to a dispatcher that died mid-batch.
STALE_CLAIM = timedelta(minutes=10)


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


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _claim(limit: int) -> tuple[str, list[OutboundEmail]]:
    now = utcnow()
    # Give back claims of a dispatcher that died while sending.
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.sending, OutboundEmail.claimed_at < now - STALE_CLAIM)
        .values(status=EmailStatus.pending, claim_token=None)
    )
    token = secrets.token_hex(16)
    due = (
        select(OutboundEmail.id)
        .where(OutboundEmail.status == EmailStatus.pending, OutboundEmail.next_attempt_at <= now)
        .order_by(OutboundEmail.id)
        .limit(limit)
        .scalar_subquery()
    )
    # The status condition is re-checked under the row lock, so two dispatchers never claim the same row.
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(due), OutboundEmail.status == EmailStatus.pending)
        .values(status=EmailStatus.sending, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    claimed = list(
        db.session.scalars(select(OutboundEmail).where(OutboundEmail.claim_token == token).order_by(OutboundEmail.id))
    )
    return token, claimed


def _failed_attempt(email: OutboundEmail, error: str, result: DispatchResult) -> None:
    cfg = current_app.config
    email.attempts += 1
    email.last_error = error[:2000]
    email.claim_token = None
    if email.attempts >= cfg["OUTBOX_MAX_ATTEMPTS"]:
        email.status = EmailStatus.failed
        result.failed += 1
    else:
        email.status = EmailStatus.pending
        delay = cfg["OUTBOX_RETRY_BASE_SECONDS"] * (2 ** (email.attempts - 1))
        email.next_attempt_at = utcnow() + timedelta(seconds=delay)
        result.retrying += 1


def dispatch_outbox(limit: int | None = None) -> DispatchResult:
    """Claim due emails, send them, mark them sent; failures retry with exponential backoff and give up after
    OUTBOX_MAX_ATTEMPTS. Commits after each email, so a crash never resends what was already sent.
    Safe to run concurrently and repeatedly."""
    cfg = current_app.config
    result = DispatchResult()
    _, claimed = _claim(limit or cfg["OUTBOX_BATCH_SIZE"])
    result.claimed = len(claimed)
    if not claimed:
        return result
    try:
        with mailer.backend() as backend:
            for email in claimed:
                if not mailer.recipient_domain_allowed(email.recipient, cfg["MAIL_ALLOWED_DOMAINS"]):
                    email.status = EmailStatus.failed
                    email.last_error = "recipient domain not allowed"
                    email.claim_token = None
                    result.failed += 1
                    db.session.commit()
                    continue
                try:
                    backend.send(mailer.build_message(email, cfg["MAIL_SENDER"]))
                except mailer.MailError as error:
                    _failed_attempt(email, str(error), result)
                    result.errors.append(str(error))
                else:
                    email.status = EmailStatus.sent
                    email.sent_at = utcnow()
                    email.claim_token = None
                    email.last_error = None
                    result.sent += 1
                db.session.commit()
    except mailer.MailError as error:  # could not connect: every claimed email waits for the next try
        log.warning("outbox: %s", error)
        result.errors.append(str(error))
        for email in claimed:
            if email.status == EmailStatus.sending:
                _failed_attempt(email, str(error), result)
        db.session.commit()
    return result


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


def counts() -> dict[EmailStatus, int]:
    rows = db.session.execute(select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status))
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in EmailStatus}
