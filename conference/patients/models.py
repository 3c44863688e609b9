"""Patients, identified by Swedish national identity number."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import TimestampMixin, VersionedMixin, reference
from conference.extensions import db
from conference.labels import LabelledEnum
from conference.patients.identity import IdentityKind
from conference.people.models import enum_column


class Sex(LabelledEnum):
    female = "female", _l("Female")
    male = "male", _l("Male")
    unknown = "unknown", _l("Unknown")


# The languages a letter to the patient can be written in (the patient's, not the user interface's).
LETTER_LANGUAGES = {"sv": "Svenska", "en": "English"}


class PatientNaming:
    """How a patient is named and identified on a page: the same for the mapped patient and for the rows that list
    pages read (conference.cases.listing)."""

    given_name: str
    family_name: str
    national_id: str
    id_kind: IdentityKind

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def national_id_display(self) -> str:
        if self.id_kind is IdentityKind.reserve:
            return self.national_id
        return f"{self.national_id[:8]}-{self.national_id[8:]}"


class Patient(PatientNaming, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    national_id: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    id_kind: Mapped[IdentityKind] = mapped_column(enum_column(IdentityKind, 20))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, 10))
    date_of_birth: Mapped[date] = mapped_column(Date)
    # Letters to the patient (conference/letters): in this language, to this address (an adult's), or to the
    # guardians recorded below (a child's).
    language: Mapped[str] = mapped_column(String(2), default="sv", server_default="sv")
    address: Mapped[str | None] = mapped_column(Text, nullable=True)

    guardians: Mapped[list[Guardian]] = relationship(
        order_by="Guardian.position", cascade="all, delete-orphan", passive_deletes=True
    )

    def age_on(self, day: date) -> float:
        """Age in years (decimal) on a day."""
        return (day - self.date_of_birth).days / 365.25

    def __repr__(self) -> str:  # no identifiers in reprs: they end up in logs
        return f"<Patient {self.id}>"


class Guardian(db.Model):
    """A child's guardian, to whom letters about the child are addressed."""

    __tablename__ = "patient_guardians"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(reference("patients.id", part_of=True), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text, nullable=True)


# Byte-wise ordering on PostgreSQL too (the "C" collation), so a prefix is a range the index serves.
TERM_TYPE = String(100).with_variant(String(100, collation="C"), "postgresql")


def name_terms(*names: str) -> set[str]:
    """The lower-cased words of a patient's names, for prefix search ("ann" finds Anna-Karin and Lindqvist-Ann)."""
    words = set()
    for name in names:
        for word in re.split(r"[\s\-']+", (name or "").casefold()):
            if word:
                words.add(word[:100])
    return words


class PatientNameTerm(db.Model):
    """One word of a patient's name: the index behind patient search (a prefix is a range on an index, at 100k
    patients as at 100; the leading-wildcard ILIKE it replaces read every row)."""

    __tablename__ = "patient_name_terms"
    # (term, patient): a prefix is a range read in the order shown, so a search stops after the 50 it shows.
    __table_args__ = (Index("ix_patient_name_terms_term", "term", "patient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(reference("patients.id", part_of=True), index=True)
    term: Mapped[str] = mapped_column(TERM_TYPE)
