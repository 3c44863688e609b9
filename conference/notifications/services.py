"""The outbox: queue emails in the caller's transaction, dispatch them from the scheduler."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from conference.db import utcnow
from conference.extensions import db
from conference.notifications import mailer
from conference.notifications.models import EmailAttachment, EmailStatus, OutboundEmail

log = logging.getLogger(__name__)


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


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _claim(limit: int, due_by=None) -> tuple[str, list[int]]:
    """Claim up to `limit` emails due by `due_by` (default now)."""
    now = utcnow()
    # Give back the claims of a dispatcher that died mid-batch (its lease ran out; a live one renews it per email).
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.sending, OutboundEmail.claimed_at < now - _lease())
        .values(status=EmailStatus.pending, claim_token=None)
    )
    token = secrets.token_hex(16)
    due = (
        select(OutboundEmail.id)
        .where(OutboundEmail.status == EmailStatus.pending, OutboundEmail.next_attempt_at <= (due_by or now))
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
        db.session.scalars(
            select(OutboundEmail.id).where(OutboundEmail.claim_token == token).order_by(OutboundEmail.id)
        )
    )
    return token, claimed


@dataclass(frozen=True)
class _Outgoing:
    """What sending one email needs, read as plain columns: no ORM identity to track, expire or expunge."""

    id: int
    recipient: str
    subject: str
    message_id: str | None
    text_body: str
    html_body: str | None
    ics: str | None
    ics_method: str | None
    attempts: int
    attachments: tuple = ()


_OUTGOING_COLUMNS = (
    OutboundEmail.id,
    OutboundEmail.recipient,
    OutboundEmail.subject,
    OutboundEmail.message_id,
    OutboundEmail.text_body,
    OutboundEmail.html_body,
    OutboundEmail.ics,
    OutboundEmail.ics_method,
    OutboundEmail.attempts,
)


def _if_still_mine(email_id: int, token: str, *, with_attachments: bool) -> _Outgoing | None:
    """The email, read just before sending only if this dispatcher still holds its claim (one read, no commit):
    a batch ends well inside its lease, so only a dispatcher that stalled past it finds its claim taken over, and
    then it must not send. Its attachments are read only when it has some."""
    row = db.session.execute(
        select(*_OUTGOING_COLUMNS).where(
            OutboundEmail.id == email_id,
            OutboundEmail.claim_token == token,
            OutboundEmail.status == EmailStatus.sending,
        )
    ).first()
    if row is None:
        return None
    attachments = ()
    if with_attachments:
        attachments = tuple(
            db.session.execute(
                select(
                    EmailAttachment.filename,
                    EmailAttachment.content_type,
                    EmailAttachment.data,
                    EmailAttachment.document_id,
                )
                .where(EmailAttachment.email_id == email_id)
                .order_by(EmailAttachment.id)
            ).all()
        )
    return _Outgoing(*row, attachments=attachments)


def _set(email_id: int, **values) -> None:
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _release(token: str) -> int:
    """Give every email this dispatcher still holds back to the queue, untouched (no attempt counted)."""
    released = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.claim_token == token, OutboundEmail.status == EmailStatus.sending)
        .values(status=EmailStatus.pending, claim_token=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return released


def _retry_delay(attempts: int) -> timedelta:
    cfg = current_app.config
    seconds = cfg["OUTBOX_RETRY_BASE_SECONDS"] * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, cfg["OUTBOX_RETRY_MAX_SECONDS"]))


def _failed_attempt(email: _Outgoing, error: str, result: DispatchResult) -> None:
    """The relay refused this message: count an attempt; after OUTBOX_MAX_ATTEMPTS (spread over hours) it fails."""
    attempts = email.attempts + 1
    if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        _set(email.id, attempts=attempts, last_error=error[:2000], claim_token=None, status=EmailStatus.failed)
        result.failed += 1
        log.error("outbox: email %s failed for good after %d attempts: %s", email.id, attempts, error[:200])
    else:
        _set(
            email.id,
            attempts=attempts,
            last_error=error[:2000],
            claim_token=None,
            status=EmailStatus.pending,
            next_attempt_at=utcnow() + _retry_delay(attempts),
        )
        result.retrying += 1


def _relay_down(email: _Outgoing, error: str, result: DispatchResult) -> None:
    """The relay was unreachable or broke off: not this message's fault, so no attempt is counted; it is tried
    again shortly, with the same Message-ID (if the relay had it already, the copy is recognisable)."""
    _set(
        email.id,
        status=EmailStatus.pending,
        claim_token=None,
        last_error=error[:2000],
        next_attempt_at=utcnow() + timedelta(seconds=current_app.config["OUTBOX_OUTAGE_RETRY_SECONDS"]),
    )
    result.retrying += 1


def _mark_sent(email_id: int, result: DispatchResult) -> None:
    """Record the relay's 250 at once, in its own short transaction, retried if the database hiccups. The window
    that remains (the process dies between the 250 and this commit) resends the email with the same Message-ID."""
    for attempt in range(3):
        try:
            db.session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == email_id)
                .values(status=EmailStatus.sent, sent_at=utcnow(), claim_token=None, last_error=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            result.sent += 1
            return
        except SQLAlchemyError:
            db.session.rollback()
            time.sleep(0.2 * (attempt + 1))
    log.error("outbox: email %s was accepted by the relay but could not be marked sent", email_id)


def dispatch_outbox(limit: int | None = None, *, should_stop: Callable[[], bool] | None = None) -> DispatchResult:
    """Send what is due, batch after batch, until none is left or OUTBOX_BATCH_SECONDS (well inside the lease)
    are up, over one SMTP connection (reconnecting when it breaks), marking each email sent right after the relay's
    250. A refused message counts an attempt and retries with backoff; an unreachable relay counts nothing, so mail
    waits out any outage. `limit` sends at most one batch of that size (the CLI's and tests' knob). Stops when
    `should_stop` says so (SIGTERM) and gives back what it holds. Safe to run concurrently. The work per email is
    constant (a read of plain columns, an update, a commit; no ORM objects)."""
    cfg = current_app.config
    result = DispatchResult()
    deadline = time.monotonic() + min(cfg["OUTBOX_BATCH_SECONDS"], cfg["OUTBOX_LEASE_SECONDS"] / 2)
    # What was due when the sweep began: an email put back during it (refused, relay down) waits for the next.
    started = utcnow()
    state = {"connection": None}
    try:
        while True:
            token, ids = _claim(limit or cfg["OUTBOX_BATCH_SIZE"], due_by=started)
            result.claimed += len(ids)
            if not ids:
                break
            try:
                finished = _send_batch(token, ids, state, deadline, should_stop, result)
            finally:
                try:
                    db.session.rollback()
                    result.released += _release(token)
                except SQLAlchemyError:  # the lease runs out and another sweep takes them
                    db.session.rollback()
                    log.error("outbox: could not release claims; they return when the lease runs out")
            if not finished or limit is not None:
                break
    finally:
        if state["connection"] is not None:
            state["connection"].__exit__(None, None, None)
    return result


def _send_batch(token, ids, state, deadline, should_stop, result: DispatchResult) -> bool:
    """Send one claimed batch; False when it stopped early (time, SIGTERM, no relay)."""
    cfg = current_app.config
    with_attachments = set(
        db.session.scalars(select(EmailAttachment.email_id).where(EmailAttachment.email_id.in_(ids)).distinct())
    )
    for email_id in ids:
        if (should_stop and should_stop()) or time.monotonic() > deadline:
            return False
        email = _if_still_mine(email_id, token, with_attachments=email_id in with_attachments)
        if email is None:
            continue
        if not mailer.recipient_domain_allowed(email.recipient, cfg["MAIL_ALLOWED_DOMAINS"]):
            _set(email_id, status=EmailStatus.failed, last_error="recipient domain not allowed", claim_token=None)
            result.failed += 1
            db.session.commit()
            continue
        try:
            message = mailer.build_message(email, cfg["MAIL_SENDER"])
        except Exception as error:  # noqa: BLE001 - a row that cannot be built fails alone
            _set(email_id, status=EmailStatus.failed, last_error=f"cannot build: {error}"[:2000], claim_token=None)
            result.failed += 1
            db.session.commit()
            log.error("outbox: email %s cannot be built: %s", email_id, error)
            continue
        if state["connection"] is None:
            try:
                state["connection"] = mailer.backend().__enter__()
            except mailer.RelayUnavailable as error:  # no relay now: give the batch back, count nothing
                log.warning("outbox: %s", error)
                result.errors.append(str(error))
                return False
        try:
            state["connection"].send(message)
        except mailer.RelayUnavailable as error:
            result.errors.append(str(error))
            _relay_down(email, str(error), result)
            db.session.commit()
            state["connection"].__exit__(None, None, None)
            state["connection"] = None  # reconnect for the next email
            continue
        except mailer.MessageRefused as error:
            result.errors.append(str(error))
            _failed_attempt(email, str(error), result)
            db.session.commit()
            continue
        _mark_sent(email_id, result)
    return True


def problems() -> dict[str, int]:
    """What operations and coordinators must see: failed emails, claims older than the lease (a dispatcher that
    died), and due emails nobody has sent for a while (no scheduler running)."""
    now = utcnow()
    overdue = now - timedelta(seconds=3 * current_app.config["SCHEDULER_OUTBOX_INTERVAL"] + 300)
    failed, stuck, waiting = db.session.execute(
        select(
            func.count().filter(OutboundEmail.status == EmailStatus.failed),
            func.count().filter(OutboundEmail.status == EmailStatus.sending, OutboundEmail.claimed_at < now - _lease()),
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
