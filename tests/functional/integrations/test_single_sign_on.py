"""Single sign-on against an identity provider the test runs over real HTTP (discovery, JWKS, token and userinfo
endpoints; the ID token signed with a real RSA key), so the test decides what the provider answers: forged ID
tokens of every kind get a clear refusal (400, never 500), an unverified email is not enough, the first sign-in
binds the account to issuer and subject, a missing ID token or a userinfo answer about someone else is refused,
and the callback address comes from CONFERENCE_BASE_URL, not from the Host header."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.people.models import Role, User
from tests.conftest import free_port

CLIENT_ID = "conference"
CLIENT_SECRET = "a-client-secret-for-the-test-provider-0123456789"
COORDINATOR = "koordinator@example-hospital.se"


class Provider:
    """A minimal OpenID Connect provider: what its token and userinfo endpoints answer is set by the test."""

    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "signing-key", "use": "sig", "alg": "RS256"})
        self.id_token: str | None = None
        self.userinfo: dict = {}
        self.stopped = False
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body: dict):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": provider.issuer + "/authorize",
                            "token_endpoint": provider.issuer + "/token",
                            "userinfo_endpoint": provider.issuer + "/userinfo",
                            "jwks_uri": provider.issuer + "/jwks",
                            "response_types_supported": ["code"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif self.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif self.path == "/userinfo":
                    self._json(provider.userinfo)
                else:
                    self.send_error(404)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = {"access_token": "an-access-token", "token_type": "Bearer", "expires_in": 300}
                if provider.id_token is not None:
                    token["id_token"] = provider.id_token
                self._json(token)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def claims(self, session_nonce: str, /, **changes) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "subject-1",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": session_nonce,
            "email": COORDINATOR,
            "email_verified": True,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict, key=None, header: dict | None = None) -> str:
        return jwt.encode(header or {"alg": "RS256", "kid": "signing-key"}, claims, key or self.key)

    def stop(self):
        if not self.stopped:
            self.stopped = True
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def provider(app, monkeypatch):
    provider = Provider()
    for key, value in {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_SCOPES": "openid email profile",
        "OIDC_ROLE_CLAIM": None,
        "OIDC_SPECIALTY_CLAIM": None,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield provider
    provider.stop()


@pytest.fixture
def coordinator(app):
    with app.app_context():
        user = User(email=COORDINATOR, name="Karin Koordinator", role=Role.coordinator, password_hash="x")
        db.session.add(user)
        db.session.commit()
        return user.id


def _start(client) -> tuple[str, str, str]:
    """Off to the provider: (state, nonce, redirect_uri) from the authorization request."""
    answer = client.get("/login/sso")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    return query["state"][0], query["nonce"][0], query["redirect_uri"][0]


def _back(client, state: str):
    return client.get(f"/login/sso/callback?code=a-code&state={state}")


def _signed_in_as(client) -> int | None:
    with client.session_transaction() as session:
        return int(session["_user_id"]) if session.get("_user_id") else None


def _sign_in(client, provider, **changes):
    state, nonce, _uri = _start(client)
    claims = provider.claims(nonce, **changes)
    provider.id_token = provider.sign(claims)
    provider.userinfo = {k: claims[k] for k in ("sub", "email", "email_verified") if k in claims}
    return _back(client, state)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@functools.cache
def _spare_keys() -> tuple[RSAKey, RSAKey]:
    """A key under the provider's key id and one under an id the provider never published."""
    return (
        RSAKey.generate_key(2048, parameters={"kid": "signing-key"}),
        RSAKey.generate_key(2048, parameters={"kid": "another-key"}),
    )


def _forgeries(provider: Provider, nonce: str) -> dict[str, str]:
    good = provider.claims(nonce)
    signed = provider.sign(good)
    head, _payload, signature = signed.split(".")
    other_key, stranger_key = _spare_keys()
    hmac_key = OctKey.import_key(CLIENT_SECRET)
    return {
        "signed by another key": provider.sign(good, other_key),
        "unknown key id": provider.sign(good, stranger_key, {"alg": "RS256", "kid": "another-key"}),
        "alg none": _b64(b'{"alg":"none"}') + "." + _b64(json.dumps(good).encode()) + ".",
        "HS256 with the client secret": jwt.encode({"alg": "HS256"}, good, hmac_key),
        "signature removed": f"{head}.{_payload}.",
        "claims changed after signing": f"{head}.{_b64(json.dumps(dict(good, sub='admin')).encode())}.{signature}",
        "wrong issuer": provider.sign(provider.claims(nonce, iss="https://evil.example")),
        "wrong audience": provider.sign(provider.claims(nonce, aud="another-client")),
        "expired": provider.sign(provider.claims(nonce, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)),
        "nonce of another sign-in": provider.sign(provider.claims("a-replayed-nonce")),
        "no nonce": provider.sign(provider.claims(nonce, nonce=None)),
        "no subject": provider.sign(provider.claims(nonce, sub=None)),
        "no expiry": provider.sign(provider.claims(nonce, exp=None)),
        "at_hash of another access token": provider.sign(
            provider.claims(nonce, at_hash=_b64(hashlib.sha256(b"another-token").digest()[:16]))
        ),
        "not a JWT": "this-is-not-a-token",
    }


def test_forged_id_tokens_get_a_clear_refusal(app, client, provider, coordinator):
    kinds = list(_forgeries(provider, "x"))
    assert len(kinds) >= 12
    answers = {}
    for kind in kinds:
        state, nonce, _uri = _start(client)
        provider.id_token = _forgeries(provider, nonce)[kind]
        provider.userinfo = {"sub": "subject-1", "email": COORDINATOR, "email_verified": True}
        answer = _back(client, state)
        answers[kind] = answer.status_code
        assert "The hospital sign-in did not complete" in answer.get_data(as_text=True), kind
        assert _signed_in_as(client) is None, kind
    assert answers == {kind: 400 for kind in kinds}
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.login_refused")).all()
        assert len(refused) == len(kinds)
    # the genuine token still signs in: the refusals were the forgeries, not the set-up
    assert _sign_in(client, provider).status_code == 302
    assert _signed_in_as(client) == coordinator


def test_an_unverified_email_does_not_sign_in(app, client, provider, coordinator):
    answer = _sign_in(client, provider, email_verified=False)
    assert answer.status_code == 403
    assert "not verified" in answer.get_data(as_text=True)
    assert _signed_in_as(client) is None
    answer = _sign_in(client, provider, email_verified=None)  # not said at all
    assert answer.status_code == 403 and _signed_in_as(client) is None


def test_the_first_sign_in_binds_the_account_to_issuer_and_subject(app, client, provider, coordinator):
    assert _sign_in(client, provider).status_code == 302
    assert _signed_in_as(client) == coordinator
    with app.app_context():
        user = db.session.get(User, coordinator)
        assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "subject-1")
    client.post("/logout", data={})  # CSRF off or not: the session is dropped below anyway
    with client.session_transaction() as session:
        session.clear()
    # another provider account claiming the same (verified) email is not this user
    refused = _sign_in(client, provider, sub="subject-2")
    assert refused.status_code == 403 and _signed_in_as(client) is None
    # the bound account signs in even after its email changed at the provider
    assert _sign_in(client, provider, email="k.koordinator@example-hospital.se").status_code == 302
    assert _signed_in_as(client) == coordinator


def test_a_sign_in_without_an_id_token_is_refused(app, client, provider, coordinator):
    state, _nonce, _uri = _start(client)
    provider.id_token = None
    provider.userinfo = {"sub": "subject-1", "email": COORDINATOR, "email_verified": True}
    answer = _back(client, state)
    assert answer.status_code == 400 and _signed_in_as(client) is None


def test_a_userinfo_answer_about_someone_else_is_refused(app, client, provider, coordinator):
    state, nonce, _uri = _start(client)
    provider.id_token = provider.sign(provider.claims(nonce, email="stranger@example-hospital.se"))
    provider.userinfo = {"sub": "subject-9", "email": COORDINATOR, "email_verified": True}
    answer = _back(client, state)
    assert answer.status_code == 400 and _signed_in_as(client) is None


def test_the_callback_address_comes_from_the_configured_base_url(app, client, provider):
    answer = client.get("/login/sso", headers={"Host": "evil.example"})
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    base = app.config["CONFERENCE_BASE_URL"].rstrip("/")
    assert query["redirect_uri"] == [base + "/login/sso/callback"]


def test_an_unreachable_provider_gets_a_clear_page(app, client, provider, coordinator):
    state, _nonce, _uri = _start(client)
    provider.stop()  # gone between the sign-in page and the way back
    answer = _back(client, state)
    assert answer.status_code == 502
    assert "cannot be reached" in answer.get_data(as_text=True)
    assert _signed_in_as(client) is None
