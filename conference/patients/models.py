"""Patients, identified by Swedish national identity number."""

from __future__ import annotations

import enum
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from conference.db import TimestampMixin, VersionedMixin
from conference.extensions import db
from conference.patients.identity import IdentityKind
from conference.people.models import enum_column


class Sex(str, enum.Enum):
    female = "female"
    male = "male"
    unknown = "unknown"


SEX_LABELS = {Sex.female: _l("Female"), Sex.male: _l("Male"), Sex.unknown: _l("Unknown")}


class Patient(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    national_id: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    id_kind: Mapped[IdentityKind] = mapped_column(enum_column(IdentityKind, 20))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, 10))
    date_of_birth: Mapped[date] = mapped_column(Date)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def national_id_display(self) -> str:
        if self.id_kind is IdentityKind.reserve:
            return self.national_id
        return f"{self.national_id[:8]}-{self.national_id[8:]}"

    @property
    def sex_label(self) -> str:
        return str(SEX_LABELS[self.sex])

    def age_on(self, day: date) -> float:
        """Age in years (decimal) on a day."""
        return (day - self.date_of_birth).days / 365.25

    def __repr__(self) -> str:  # no identifiers in reprs: they end up in logs
        return f"<Patient {self.id}>"
