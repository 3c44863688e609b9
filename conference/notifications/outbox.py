"""The outbox dispatcher: claims due emails, sends them through the mailer, marks them sent or schedules a retry.

It runs in the scheduler process (never in a web worker) and owns its transactions: a claim, each send and each
result are committed on their own, so a crash loses at most the email in hand, which its Message-ID makes
recognisable when it goes again.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from conference.db import utcnow
from conference.extensions import db
from conference.notifications import mailer
from conference.notifications.models import EmailAttachment, EmailStatus, OutboundEmail

log = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _claim(limit: int, due_by=None) -> tuple[str, list[int]]:
    """Claim up to `limit` emails due by `due_by` (default now)."""
    now = utcnow()
    # Give back the claims of a dispatcher that died mid-batch (its lease ran out; a live one renews it per email).
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.sending, OutboundEmail.claimed_at < now - lease())
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
    return _persist(
        lambda: (
            db.session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.claim_token == token, OutboundEmail.status == EmailStatus.sending)
                .values(status=EmailStatus.pending, claim_token=None)
                .execution_options(synchronize_session=False)
            ).rowcount
        )
    )


_T = TypeVar("_T")


def _persist(work: Callable[[], _T]) -> _T:
    """Run `work` and commit; while the database does not answer (a restart, a failover, a network blip), try
    again with backoff (0.2 s doubling up to 5 s) for OUTBOX_DATABASE_RETRY_SECONDS, well inside the lease. What
    it records (a relay's 250, claims given back) must not be lost to a blip: a lost "sent" sends the email twice,
    lost claims hold the rest of the batch for the whole lease. Other errors are raised at once."""
    give_up = time.monotonic() + current_app.config["OUTBOX_DATABASE_RETRY_SECONDS"]
    wait = 0.2
    while True:
        try:
            value = work()
            db.session.commit()
            return value
        except DBAPIError as error:
            try:
                db.session.rollback()
            except SQLAlchemyError:
                pass
            unreachable = isinstance(error, (OperationalError, InterfaceError)) or error.connection_invalidated
            if not unreachable or time.monotonic() + wait > give_up:
                raise
            log.warning("outbox: the database does not answer; trying again in %.1f s", wait)
            time.sleep(wait)
            wait = min(wait * 2, 5.0)


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


def _fail_alone(email_id: int, error: str, result: DispatchResult) -> None:
    """This row can never be sent as it is: it fails now, on its own, and the operations page shows it."""
    _set(email_id, status=EmailStatus.failed, last_error=error[:2000], claim_token=None)
    result.failed += 1
    db.session.commit()
    log.error("outbox: email %s failed: %s", email_id, error[:200])


def _mark_sent(email_id: int, result: DispatchResult) -> None:
    """Record the relay's 250 at once, in its own short transaction, retried through a database blip (_persist).
    The window that remains (the process dies between the 250 and this commit, or the database stays away past
    the retries) resends the email with the same Message-ID."""
    try:
        _persist(
            lambda: db.session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == email_id)
                .values(status=EmailStatus.sent, sent_at=utcnow(), claim_token=None, last_error=None)
                .execution_options(synchronize_session=False)
            )
        )
    except SQLAlchemyError:
        log.error("outbox: email %s was accepted by the relay but could not be marked sent", email_id)
        return
    result.sent += 1


def _relay_unavailable(error: Exception) -> None:
    """An unreachable relay is logged at WARNING while the outage is young (mail waits, nothing is lost); once it
    has lasted OUTBOX_RELAY_OUTAGE_ERROR_MINUTES, one ERROR says so, for the alerting on ERROR lines."""
    outage = current_app.extensions.setdefault("outbox_relay_outage", {})
    now = utcnow()
    since = outage.setdefault("since", now)
    lasted = now - since
    if lasted >= timedelta(minutes=current_app.config["OUTBOX_RELAY_OUTAGE_ERROR_MINUTES"]) and not outage.get("told"):
        outage["told"] = True
        log.error("outbox: the mail relay has been unreachable for %d minutes: %s", lasted.total_seconds() // 60, error)
    else:
        log.warning("outbox: %s", error)


def _relay_answered() -> None:
    current_app.extensions.pop("outbox_relay_outage", None)


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
                except SQLAlchemyError:  # still no database after the retries: the lease runs out, another sweep
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
            _fail_alone(email_id, "recipient domain not allowed", result)
            continue
        try:
            message = mailer.build_message(email, cfg["MAIL_SENDER"])
        except Exception as error:  # noqa: BLE001 - a row that cannot be built fails alone
            _fail_alone(email_id, f"cannot build: {error}", result)
            continue
        if state["connection"] is None:
            try:
                state["connection"] = mailer.backend().__enter__()
            except mailer.RelayUnavailable as error:  # no relay now: give the batch back, count nothing
                _relay_unavailable(error)
                result.errors.append(str(error))
                return False
        try:
            state["connection"].send(message)
        except mailer.RelayUnavailable as error:
            _relay_unavailable(error)
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
        except mailer.MessageUnsendable as error:
            _fail_alone(email_id, f"cannot send: {error}", result)
            continue
        except Exception as error:  # noqa: BLE001 - whatever one row raises, the rest of the batch goes out
            # The connection's state is unknown after an unexpected error: the next email opens a new one.
            state["connection"].__exit__(None, None, None)
            state["connection"] = None
            _fail_alone(email_id, f"cannot send: {type(error).__name__}: {error}", result)
            continue
        _relay_answered()
        _mark_sent(email_id, result)
    return True
