"""Accounts: creation, password hashing (argon2id), sign-in with throttling, deactivation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import delete, func, select

from conference import transaction
from conference.audit import services as audit
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import DEMO_PASSWORD, LoginFailure, Role, Specialty, User


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


def _dummy_hash() -> str:
    """A hash with the current parameters, made once per process: an unknown email costs the same one verify as
    a known one, so timing does not tell which accounts exist."""
    cache = current_app.extensions.setdefault("conference_dummy_hash", {})
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in cache:
        cache[key] = _hasher().hash(secrets.token_urlsafe(16))
    return cache[key]


_COMMON = None


def _common_passwords() -> frozenset[str]:
    global _COMMON  # a read-only list from the package, loaded once
    if _COMMON is None:
        text = (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8")
        _COMMON = frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return _COMMON


def check_password_policy(password: str, *, email: str = "", name: str = "") -> None:
    """At least PASSWORD_MIN_LENGTH characters, five different ones, not a common password (with digits or signs
    added), and not the person's own name or email."""
    from flask_babel import gettext as _

    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(_("The password must be at least %(count)d characters.", count=minimum), "password")
    if len(set(password)) < 5:
        raise AccountError(_("Use at least five different characters."), "password")
    lowered = password.lower()
    stem = lowered.rstrip("0123456789!?.,-_@#$%&*+ ")
    if lowered in _common_passwords() or stem in _common_passwords() or not stem or lowered.isdigit():
        raise AccountError(_("This password is too common: choose another."), "password")
    own = [part for part in [email.split("@")[0], *name.lower().split()] if len(part) >= 4]
    if any(part.lower() in lowered for part in own):
        raise AccountError(_("The password must not contain your name or email."), "password")
    if password == DEMO_PASSWORD and not current_app.config["DEMO_PASSWORD_ALLOWED"]:
        raise AccountError(_("This is the demo password printed in the manual: choose another."), "password")
    # zxcvbn estimates how many guesses a cracker needs (keyboard walks, sequences, dictionary words, dates,
    # the person's own name and email); the rules above only give the clearer message for the common cases.
    from zxcvbn import zxcvbn

    if (
        zxcvbn(password[:100], user_inputs=[email, *name.split()])["score"]
        < current_app.config["PASSWORD_MIN_STRENGTH"]
    ):
        raise AccountError(_("This password is too easy to guess: use a longer phrase of unrelated words."), "password")


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
    check_password_policy(password, email=email, name=name)
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


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def _failures(condition) -> tuple[int, object]:
    since = utcnow() - _window()
    return db.session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(condition, LoginFailure.at >= since)
    ).one()


def _retry_minutes(oldest) -> int:
    remaining = (oldest + _window()) - utcnow()
    return max(1, int(remaining.total_seconds() // 60) + 1)


def authenticate(email: str, password: str, *, address: str | None = None, known_device: bool = False) -> SignIn:
    """Check a sign-in, throttled so that guessing is slow without letting an attacker lock the real user out:
    after LOGIN_MAX_FAILURES failures on an account inside the window, only a browser where this account signed in
    before (a signed device cookie) may still try; after LOGIN_MAX_FAILURES_PER_ADDRESS failures from one client
    address, that address waits out the window (known devices still pass). A known device has its own, higher
    bound (LOGIN_MAX_FAILURES_KNOWN_DEVICE failures on the account), so a stolen laptop cannot guess without end
    either; new browsers stop at the lower bound and cannot use it up. Unknown emails cost the same one argon2
    verify as known ones."""
    cfg = current_app.config
    key = normalise_email(email)
    if not known_device and address:
        count, oldest = _failures(LoginFailure.address == address)
        if count >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
            return SignIn(None, throttled=True, retry_after_minutes=_retry_minutes(oldest))
    count, oldest = _failures(LoginFailure.email_key == key)
    if count >= cfg["LOGIN_MAX_FAILURES_KNOWN_DEVICE" if known_device else "LOGIN_MAX_FAILURES"]:
        return SignIn(None, throttled=True, retry_after_minutes=_retry_minutes(oldest))

    user = get_by_email(key)
    hasher = _hasher()
    candidate = user.password_hash if user is not None and user.active else _dummy_hash()
    try:
        ok = hasher.verify(candidate, password) and user is not None and user.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        # Kept although the sign-in is refused: the failures are what the throttle counts.
        failure = LoginFailure(email_key=key, address=address, at=utcnow())
        transaction.keep(lambda _status: db.session.add(failure))
        return SignIn(None)
    if hasher.check_needs_rehash(user.password_hash):  # parameters changed in configuration
        user.password_hash = hasher.hash(password)
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_key == key))
    user.last_login_at = utcnow()
    return SignIn(user)


def end_sessions(user: User) -> int:
    """Sign out everywhere: every session signed in before this no longer counts."""
    user.session_generation = (user.session_generation or 0) + 1
    audit.record(user, "user.sessions_ended", "user", user.id)
    return user.session_generation


def change_password(user: User, *, current: str, new: str) -> None:
    """Change one's own password (the current one first); other sessions end."""
    from flask_babel import gettext as _

    try:
        _hasher().verify(user.password_hash, current)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise AccountError(_("The current password is wrong."), "current_password") from None
    check_password_policy(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.session_generation = (user.session_generation or 0) + 1
    audit.record(user, "user.password_changed", "user", user.id)


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Activate or deactivate an account. Admins cannot deactivate themselves (someone must stay admin)."""
    from flask_babel import gettext as _

    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    user.active = active
    audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id)


def update_user(
    user: User,
    *,
    actor: User,
    expected_version: int | None,
    name: str,
    email: str,
    role: Role | str,
    specialty: Specialty | str | None,
    title: str | None,
    locale: str | None,
    active: bool,
) -> list[str]:
    """An admin corrects an account (name, email, role, specialty, title, language, active). The form's version must
    be the stored one (StaleEdit otherwise); audited with the names of the fields changed. Returns those names."""
    from flask_babel import gettext as _

    from conference.db import check_version

    check_version(user, expected_version)
    role = Role(role)
    specialty = Specialty(specialty) if specialty else None
    if role is Role.specialist and specialty is None:
        raise AccountError(_("A specialist needs a specialty."), "specialty")
    email = normalise_email(email)
    other = get_by_email(email)
    if other is not None and other.id != user.id:
        raise AccountError(_("There is already an account with this email."), "email")
    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."), "active")
    if user.id == actor.id and role is not Role.admin:
        raise AccountError(_("You cannot take the administrator role from yourself."), "role")
    wanted = {
        "name": name.strip(),
        "email": email,
        "role": role,
        "specialty": specialty,
        "title": title or None,
        "locale": locale,
        "active": active,
    }
    changed = [field for field, value in wanted.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, wanted[field])
    if changed:
        user.version = (user.version or 1) + 1
        if user.id != actor.id and {"active", "role", "email"} & set(changed):
            user.session_generation = (user.session_generation or 0) + 1  # sessions signed in before end
        audit.record(actor, "user.update", "user", user.id, detail={"fields": changed})
    return changed


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
