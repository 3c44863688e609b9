"""Integration clients (bearer tokens for hospital systems) and the identifiers their referrals arrived with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.db import UTCDateTime, reference, utcnow
from conference.extensions import db
from conference.people.models import User

# SMART-on-FHIR style system scopes, which integration engines already know.
SCOPE_READ = "system/*.read"
SCOPE_WRITE_REFERRALS = "system/ServiceRequest.write"
SCOPES = (SCOPE_READ, SCOPE_WRITE_REFERRALS)


class ApiClient(db.Model):
    """One hospital system (an integration engine, the record system) with its own token. Only the token's
    SHA-256 is kept; the token itself is shown once, when it is issued."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(12))  # the first characters, to tell tokens apart
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(reference("users.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Optional end of validity: the token is refused from this moment on (None: until revoked).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def usable_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or moment < self.expires_at)

    def __repr__(self) -> str:
        return f"<ApiClient {self.id}>"


class ReferralIdentifier(db.Model):
    """The sending system's identifier of a referral (ServiceRequest.identifier): the same identifier posted
    again by the same client finds the case made the first time instead of making a second one. Scoped to the
    client: another system quoting the identifier is not answered with this case."""

    __tablename__ = "referral_identifiers"
    __table_args__ = (
        UniqueConstraint("client_id", "system", "value", name="uq_referral_identifiers_client_system_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))
    case_id: Mapped[int] = mapped_column(reference("cases.id", part_of=True), index=True)
    client_id: Mapped[int | None] = mapped_column(reference("api_clients.id"), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
