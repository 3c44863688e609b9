"""The transactional outbox: emails are rows written with the change that causes them, sent later by the
scheduler's dispatcher. The dedupe key makes a second copy of the same email impossible."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import UTCDateTime, enum_column, reference, utcnow
from conference.extensions import db
from conference.labels import LabelledEnum


class EmailStatus(LabelledEnum):
    pending = "pending", _l("Pending")
    sending = "sending", _l("Sending")
    sent = "sent", _l("Sent")
    failed = "failed", _l("Failed")


class OutboundEmail(db.Model):
    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # Made when queued and kept for every try: a copy sent again after an uncertain failure is recognisable.
    message_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # invite, cancel, reminder, minutes, outcome
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    ics: Mapped[str | None] = mapped_column(Text, nullable=True)
    ics_method: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus, 20), default=EmailStatus.pending, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # What caused it, for the outbox page (no patient identifiers here either).
    conference_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)

    attachments: Mapped[list[EmailAttachment]] = relationship(
        back_populates="email", cascade="all, delete-orphan", order_by="EmailAttachment.id"
    )


class EmailAttachment(db.Model):
    __tablename__ = "email_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_id: Mapped[int] = mapped_column(reference("outbound_emails.id", part_of=True), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(200))
    # Either the bytes themselves, or (for signed documents, stored once) a reference to the stored document.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    document_id: Mapped[int | None] = mapped_column(reference("stored_documents.id"), nullable=True, index=True)

    email: Mapped[OutboundEmail] = relationship(back_populates="attachments")
