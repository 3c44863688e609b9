"""Known devices: after a successful sign-in the browser keeps a signed cookie naming the account. When an
account is being guessed at (too many failures), a correct password from such a browser still signs in, so an
attacker cannot lock the real user out; a new browser waits out the window."""

from __future__ import annotations

import hashlib

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "known_device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _account(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]  # no email in the cookie


def knows(request: Request, email: str) -> bool:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return False
    max_age = current_app.config["KNOWN_DEVICE_DAYS"] * 86400
    try:
        accounts = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return False
    return isinstance(accounts, list) and _account(email) in accounts


def remember(response: Response, request: Request, email: str) -> None:
    accounts = []
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            accounts = list(_serializer().loads(raw))[-4:]
        except BadSignature:
            accounts = []
    if _account(email) not in accounts:
        accounts.append(_account(email))
    cfg = current_app.config
    response.set_cookie(
        COOKIE,
        _serializer().dumps(accounts),
        max_age=cfg["KNOWN_DEVICE_DAYS"] * 86400,
        httponly=True,
        samesite="Lax",
        secure=cfg["SESSION_COOKIE_SECURE"],
    )
