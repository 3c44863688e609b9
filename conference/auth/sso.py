"""Sign-in through the hospital's OpenID Connect provider (Authlib's Flask client: discovery, state, nonce,
PKCE and ID-token validation are the library's).

The provider says who someone is; the local account says what they may do, unless OIDC_ROLE_CLAIM is set, in
which case the provider's claim decides the role (and the specialty, with OIDC_SPECIALTY_CLAIM) at every
sign-in. No account is created here: the administrator adds people, as for local passwords.

Who someone is comes from the validated ID token only (userinfo must name the same subject). The first sign-in
finds the local account by an email the provider says it has verified and binds the account to the provider's
issuer and subject; from then on the binding decides, so another provider account that claims the same email
(unverified, or after an address is reused) is not let in as this user."""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from conference.audit import services as audit
from conference.extensions import db
from conference.people import services as people
from conference.people.models import Role, Specialty, User


class SignInRefused(Exception):
    """The provider signed the person in, but they have no place here (no account, no role, deactivated)."""


class IdentityUnproven(Exception):
    """The provider's answer does not prove who signed in (no ID token, a forged or stale one, a userinfo
    answer about someone else). The message is for the log; the person sees a general refusal."""


def identity_claims(token: dict, userinfo: dict) -> dict:
    """The claims to sign in with: the validated ID token's (Authlib checked signature, issuer, audience, expiry
    and nonce), completed by userinfo, which must be about the same subject."""
    id_claims = token.get("userinfo")
    if not id_claims or not id_claims.get("sub"):
        raise IdentityUnproven("the provider sent no ID token")
    if userinfo.get("sub") != id_claims["sub"]:
        raise IdentityUnproven("userinfo names another subject than the ID token")
    return {**userinfo, **id_claims}


def _verified(claims: dict) -> bool:
    # Some providers send the boolean as a string.
    return claims.get("email_verified") in (True, "true")


def enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def client():
    """The registered OIDC client for the current configuration (built again if the configuration changed)."""
    config = current_app.config
    key = (config["OIDC_ISSUER"], config["OIDC_CLIENT_ID"], config["OIDC_CLIENT_SECRET"], config["OIDC_SCOPES"])
    cache = current_app.extensions.setdefault("conference.sso", {})
    if cache.get("key") != key:
        oauth = OAuth(current_app._get_current_object())
        cache["client"] = oauth.register(
            "hospital",
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256"},
        )
        cache["key"] = key
    return cache["client"]


def _values(claim) -> list[str]:
    if claim is None:
        return []
    return [str(v) for v in claim] if isinstance(claim, (list, tuple)) else str(claim).replace(",", " ").split()


def _bound_user(claims: dict) -> User:
    """The user bound to the provider account (issuer + subject), or, at the first sign-in, the user with the
    provider's verified email, bound now."""
    config = current_app.config
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    user = db.session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    if user is not None:
        return user
    email = claims.get(config["OIDC_EMAIL_CLAIM"])
    if email and not _verified(claims):
        raise SignInRefused(
            _("Your hospital account's email address is not verified. Ask the hospital's IT service desk.")
        )
    user = people.get_by_email(email) if email else None
    if user is None:
        raise SignInRefused(
            _("Your hospital account has no account in the conference system. Ask the unit's administrator.")
        )
    if user.oidc_subject is not None:
        # Bound to another provider account: an email address alone does not move the binding.
        raise SignInRefused(
            _("This conference account belongs to another hospital account. Ask the unit's administrator.")
        )
    user.oidc_issuer, user.oidc_subject = issuer, subject
    audit.record(user, "user.sso_bound", "user", user.id, detail={"issuer": issuer})
    return user


def user_for_claims(claims: dict) -> User:
    """The local user the provider's (validated) claims name, with role and specialty from the claims where
    configured. Raises SignInRefused with a message for the person."""
    config = current_app.config
    user = _bound_user(claims)
    if not user.active:
        raise SignInRefused(_("Your account is deactivated. Ask the unit's administrator."))
    changes = {}
    if config.get("OIDC_ROLE_CLAIM"):
        mapping = config["OIDC_ROLE_MAP"]
        roles = [Role(mapping[v]) for v in _values(claims.get(config["OIDC_ROLE_CLAIM"])) if v in mapping]
        if not roles:
            raise SignInRefused(_("Your hospital account gives you no role in the conference system."))
        # Several mapped roles: the most privileged one the provider grants.
        role = next(r for r in (Role.admin, Role.coordinator, Role.specialist) if r in roles)
        if user.role is not role:
            changes["role"] = (user.role.value, role.value)
            user.role = role
    if config.get("OIDC_SPECIALTY_CLAIM"):
        names = [v for v in _values(claims.get(config["OIDC_SPECIALTY_CLAIM"])) if v in Specialty.__members__]
        specialty = Specialty(names[0]) if names and user.role is Role.specialist else None
        if user.specialty is not specialty:
            changes["specialty"] = (
                user.specialty.value if user.specialty else None,
                specialty.value if specialty else None,
            )
            user.specialty = specialty
    if changes:
        audit.record(user, "user.claims", "user", user.id, detail=changes)
    return user
