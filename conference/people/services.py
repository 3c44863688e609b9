"""Accounts: creation, password hashing (argon2id), sign-in with throttling, deactivation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import delete, func, select

from conference.audit import services as audit
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import LoginFailure, Role, Specialty, User


class AccountError(ValueError):
    """A rule about accounts was broken; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    specialty: Specialty | str | None = None,
    title: str | None = None,
    locale: str | None = None,
    actor: User | None = None,
) -> User:
    """Add an account (audited; `actor` None means the command line). Specialists must have a specialty; emails
    are unique (case-insensitive)."""
    from flask_babel import gettext as _

    role = Role(role)
    specialty = Specialty(specialty) if specialty else None
    if role is Role.specialist and specialty is None:
        raise AccountError(_("A specialist needs a specialty."), "specialty")
    if len(password) < 10:
        raise AccountError(_("The password must be at least 10 characters."), "password")
    if get_by_email(email) is not None:
        raise AccountError(_("There is already an account with this email."), "email")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role=role,
        specialty=specialty,
        title=title,
        locale=locale,
        password_hash=hash_password(password),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, detail={"role": role.value, "via": "web" if actor else "cli"})
    return user


@dataclass
class SignIn:
    user: User | None
    throttled: bool = False
    retry_after_minutes: int = 0


def _failures_in_window(key: str):
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    since = utcnow() - window
    count, oldest = db.session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
            LoginFailure.email_key == key, LoginFailure.at >= since
        )
    ).one()
    return count, oldest, window


def authenticate(email: str, password: str) -> SignIn:
    """Check a sign-in. After LOGIN_MAX_FAILURES failures inside the window the email is locked for the window,
    whatever the password, so guessing is slow; unknown emails are throttled the same way."""
    key = normalise_email(email)
    count, oldest, window = _failures_in_window(key)
    if count >= current_app.config["LOGIN_MAX_FAILURES"]:
        remaining = (oldest + window) - utcnow()
        return SignIn(None, throttled=True, retry_after_minutes=max(1, int(remaining.total_seconds() // 60) + 1))

    user = get_by_email(key)
    ok = False
    hasher = _hasher()
    if user is not None and user.active:
        try:
            ok = hasher.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if ok and hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
    else:
        # Same work for unknown accounts, so timing does not tell which emails exist.
        try:
            hasher.verify(hash_password("not-a-real-password"), password)
        except VerificationError:
            pass
    if not ok:
        db.session.add(LoginFailure(email_key=key, at=utcnow()))
        return SignIn(None)
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_key == key))
    user.last_login_at = utcnow()
    return SignIn(user)


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Activate or deactivate an account. Admins cannot deactivate themselves (someone must stay admin)."""
    from flask_babel import gettext as _

    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    user.active = active
    audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id)


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.specialty, User.name)))


def users_by_specialty(active_only: bool = True) -> dict[Specialty | None, list[User]]:
    """Active users grouped by specialty (in the order of the Specialty list, staff without one last), for
    participant pickers."""
    query = select(User).order_by(User.name)
    if active_only:
        query = query.where(User.active.is_(True))
    grouped: dict[Specialty | None, list[User]] = {specialty: [] for specialty in [*Specialty, None]}
    for user in db.session.scalars(query):
        grouped[user.specialty].append(user)
    return {specialty: users for specialty, users in grouped.items() if users}


def active_coordinators() -> list[User]:
    """Everyone who coordinates (for reminders and alerts)."""
    return list(db.session.scalars(select(User).where(User.role == Role.coordinator, User.active.is_(True))))


def by_calendar_token(token: str) -> User | None:
    """The active user whose personal calendar feed has this secret token."""
    if len(token or "") < 32:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    return user if user is not None and user.active else None


def new_calendar_token(user: User) -> str:
    """A fresh secret feed address for the user (the old one stops working)."""
    import secrets

    user.calendar_token = secrets.token_urlsafe(32)
    audit.record(user, "user.calendar_token_created", "user", user.id)
    return user.calendar_token


def revoke_calendar_token(user: User) -> None:
    user.calendar_token = None
    audit.record(user, "user.calendar_token_revoked", "user", user.id)


def active_with_specialty(specialties) -> list[User]:
    """Active staff of these specialties, by name (e.g. the therapists a visit can go to)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.specialty.in_([Specialty(s).value for s in specialties]))
            .order_by(User.name)
        )
    )
