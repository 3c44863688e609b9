"""Staff accounts: who they are, what they may do, and their specialty."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conference.db import TimestampMixin, UTCDateTime, enum_column  # noqa: F401 (enum_column re-exported)
from conference.extensions import db
from conference.labels import LabelledEnum

# The demo accounts' password (conference/seed), printed in the README: refused as a real password outside
# development and testing (services.check_password_policy).
DEMO_PASSWORD = "demo-konferens-2026"


class Role(LabelledEnum):
    admin = "admin", _l("Administrator")
    coordinator = "coordinator", _l("Coordinator")
    specialist = "specialist", _l("Specialist")


class Specialty(LabelledEnum):
    orthopaedic_surgeon = "orthopaedic_surgeon", _l("Orthopaedic surgeon")
    endocrinologist = "endocrinologist", _l("Endocrinologist")
    clinical_geneticist = "clinical_geneticist", _l("Clinical geneticist")
    physiotherapist = "physiotherapist", _l("Physiotherapist")
    occupational_therapist = "occupational_therapist", _l("Occupational therapist")
    radiologist = "radiologist", _l("Radiologist")
    nurse = "nurse", _l("Nurse")


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_issuer_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    specialty: Mapped[Specialty | None] = mapped_column(enum_column(Specialty), nullable=True)
    title: Mapped[str | None] = mapped_column(String(100), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Moves on sign-out and password change: every session signed in before no longer counts (a copied cookie too).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Secret for the personal calendar feed URL; None when the user has no feed (or revoked it).
    calendar_token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # The hospital identity-provider account this user is bound to (issuer + subject), set at the first
    # single sign-on; from then on only that account signs in as this user, whatever email it later claims.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Moves on every edit of the account by an admin (checked against the form's; sign-ins do not move it).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def role_label(self) -> str:
        """For templates, which never read `current_user.role` (they ask the policy module what a user may do)."""
        return self.role.label

    @property
    def specialty_label(self) -> str:
        return self.specialty.label if self.specialty else ""

    def has_role(self, *roles: Role | str) -> bool:
        return self.role.value in {Role(r).value for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class LoginFailure(db.Model):
    """A failed sign-in, kept for throttling; the key is the lower-cased email typed."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(45), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
