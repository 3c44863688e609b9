"""Minutes: one row per version. A signed version, with its Word document, is never changed; an amendment
creates the next version."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.conferences.models import Conference
from conference.db import TimestampMixin, UTCDateTime, reference
from conference.documents.models import StoredDocument
from conference.extensions import db
from conference.people.models import User, enum_column


class MinutesStatus(str, enum.Enum):
    draft = "draft"
    signed = "signed"


class Minutes(TimestampMixin, db.Model):
    __tablename__ = "minutes"
    __table_args__ = (UniqueConstraint("conference_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conference_id: Mapped[int] = mapped_column(reference("conferences.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[MinutesStatus] = mapped_column(enum_column(MinutesStatus, 10), default=MinutesStatus.draft)
    signed_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The signed Word document, stored once (documents module) and checked against this hash on every read.
    document_id: Mapped[int | None] = mapped_column(reference("stored_documents.id"), nullable=True)
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    conference: Mapped[Conference] = relationship()
    signed_by: Mapped[User | None] = relationship()
    stored_document: Mapped[StoredDocument | None] = relationship()

    @property
    def document(self) -> bytes | None:
        """The signed document's bytes (unchecked: downloads go through minutes.services.signed_document)."""
        return self.stored_document.data if self.stored_document is not None else None


class SignedMinutesAreFinal(RuntimeError):
    pass


@event.listens_for(Minutes, "before_update")
def _signed_is_final(mapper, connection, target: Minutes) -> None:
    """Defence in depth: once signed, the stored row (and its document) cannot be updated."""
    state = db.inspect(target)
    status_history = state.attrs.status.history
    was_signed = (status_history.deleted and status_history.deleted[0] is MinutesStatus.signed) or (
        not status_history.has_changes() and target.status is MinutesStatus.signed
    )
    if was_signed and any(
        state.attrs[name].history.has_changes()
        for name in ("document_id", "document_sha256", "status", "signed_at", "signed_by_id", "version")
    ):
        raise SignedMinutesAreFinal("signed minutes are never changed; amend them instead")
