"""Letters (one per decided case and signed version of the minutes), their templates and follow-up actions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import TimestampMixin, UTCDateTime, VersionedMixin, reference
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.meetings.models import Decision
from conference.patients.models import Patient
from conference.people.models import User, enum_column


class LetterStatus(LabelledEnum):
    draft = "draft", _l("Draft, not sent")
    sent = "sent", _l("Sent")
    # the minutes were amended after it was prepared: a new letter is needed
    superseded = "superseded", _l("Superseded by an amendment")


class Answer(LabelledEnum):
    accepts = "accepts", _l("Accepts")
    declines = "declines", _l("Declines")
    wants_to_talk = "wants_to_talk", _l("Wants to talk")
    no_answer = "no_answer", _l("No answer")


class LetterActionKind(LabelledEnum):
    # no answer by the date: the coordinator calls
    no_answer = "no_answer", _l("No answer to the letter by the date: contact the patient")
    # the minutes were amended after the letter was sent
    new_letter = "new_letter", _l("The minutes were amended after the letter was sent: prepare a new letter")


class LetterActionStatus(str, enum.Enum):
    open = "open"
    done = "done"


class LetterTemplate(TimestampMixin, VersionedMixin, db.Model):
    """The unit's own text for one treatment in one language, replacing the built-in default (letters/texts.py)."""

    __tablename__ = "letter_templates"
    __table_args__ = (
        UniqueConstraint("treatment", "language"),
        CheckConstraint("language IN ('sv', 'en')", name="language_allowed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    treatment: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(Text)
    child_text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)


class Letter(TimestampMixin, VersionedMixin, db.Model):
    """A letter about one decision. The body is the text the clinician reviewed; once sent, the .docx and the PDF
    built from it are stored once by SHA-256 (documents) and the letter's text no longer changes."""

    __tablename__ = "letters"
    __table_args__ = (
        Index("ix_letters_status_answer_due_on", "status", "answer_due_on"),
        CheckConstraint("language IN ('sv', 'en')", name="language_allowed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(reference("decisions.id"), index=True)
    case_id: Mapped[int] = mapped_column(reference("cases.id"))
    patient_id: Mapped[int] = mapped_column(reference("patients.id"), index=True)
    conference_id: Mapped[int] = mapped_column(reference("conferences.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[LetterStatus] = mapped_column(enum_column(LetterStatus, 12), default=LetterStatus.draft)
    body: Mapped[str] = mapped_column(Text)
    prepared_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    docx_document_id: Mapped[int | None] = mapped_column(reference("stored_documents.id"), nullable=True)
    docx_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdf_document_id: Mapped[int | None] = mapped_column(reference("stored_documents.id"), nullable=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answer_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    answer: Mapped[Answer | None] = mapped_column(enum_column(Answer, 16), nullable=True)
    answer_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answer_recorded_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    decision: Mapped[Decision] = relationship()
    patient: Mapped[Patient] = relationship()
    prepared_by: Mapped[User | None] = relationship(foreign_keys=[prepared_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    actions: Mapped[list[LetterAction]] = relationship(back_populates="letter", order_by="LetterAction.id")

    def __repr__(self) -> str:  # no identifiers in reprs: they end up in logs
        return f"<Letter {self.id}>"


class LetterAction(TimestampMixin, db.Model):
    """Follow-up work a letter makes for the coordinators. One per letter and kind, so the sweep that makes them can
    run twice."""

    __tablename__ = "letter_actions"
    __table_args__ = (UniqueConstraint("letter_id", "kind"), Index("ix_letter_actions_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(reference("letters.id", part_of=True))
    kind: Mapped[LetterActionKind] = mapped_column(enum_column(LetterActionKind, 12))
    status: Mapped[LetterActionStatus] = mapped_column(
        enum_column(LetterActionStatus, 10), default=LetterActionStatus.open
    )
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)

    letter: Mapped[Letter] = relationship(back_populates="actions")
