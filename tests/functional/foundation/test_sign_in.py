"""Sign-in that an attacker cannot turn against the real user, that does not tell which accounts exist, and whose
sessions end when the user signs out or changes the password."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from conference.extensions import db
from conference.people import services as people
from conference.people.models import LoginFailure, User
from tests.conftest import PASSWORD, csrf_token, login, post_form


def _attempt(client, email, password, address):
    client.environ_base["REMOTE_ADDR"] = address  # the client's address for this and its later requests
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_an_attackers_failures_never_stop_the_real_user(app, make_user):
    _user_id, email = make_user("specialist")
    real = app.test_client()
    assert _attempt(real, email, PASSWORD, "10.1.1.7").status_code == 302  # signed in here before: a known device
    post_form(real, "/logout", {}, form_url="/")
    attacker = app.test_client()
    statuses = [_attempt(attacker, email, f"gissning-{n}", "192.0.2.66").status_code for n in range(12)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}  # guessing is slowed to a stop
    assert _attempt(attacker, email, PASSWORD, "192.0.2.66").status_code == 429  # even the right one, from there
    assert _attempt(app.test_client(), email, PASSWORD, "10.1.1.8").status_code == 429  # a new browser waits too
    assert _attempt(real, email, PASSWORD, "10.1.1.7").status_code == 302  # the real user's browser goes in


def test_one_address_guessing_many_accounts_is_stopped(app, make_user):
    emails = [make_user("specialist")[1] for _ in range(3)]
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"], saved = 6, app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    try:
        attacker = app.test_client()
        statuses = [_attempt(attacker, emails[n % 3], "fel-fel-fel", "198.51.100.9").status_code for n in range(8)]
        assert statuses[:6] == [401] * 6 and statuses[6:] == [429, 429]
        assert _attempt(app.test_client(), emails[0], PASSWORD, "10.2.2.2").status_code == 302  # elsewhere: fine
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = saved


def test_unknown_and_known_emails_cost_the_same_one_password_verify(app, make_user, monkeypatch):
    """Counted, not timed: each wrong sign-in runs argon2's verify exactly once, whether the account exists, is
    inactive or not; the time is argon2's, so equal counts are equal cost (a median of timings was flaky)."""
    from argon2 import PasswordHasher

    verifies = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, hash, password):
        verifies.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    known = make_user("specialist")[1]
    inactive_id, inactive = make_user("specialist")
    admin_id, _admin = make_user("admin")
    with app.app_context():
        people.set_active(db.session.get(User, inactive_id), False, actor=db.session.get(User, admin_id))
        db.session.commit()
    for n, email in enumerate((known, inactive, "finns-inte@example-hospital.se")):
        verifies.clear()
        response = _attempt(app.test_client(), email, "fel-lösenord-1", f"10.9.{n}.1")
        assert response.status_code == 401 and len(verifies) == 1, (email, len(verifies))
    verifies.clear()
    assert _attempt(app.test_client(), known, PASSWORD, "10.9.9.1").status_code == 302 and len(verifies) == 1


def test_a_browser_that_signed_in_before_is_slowed_down_too(app, make_user):
    _user_id, email = make_user("specialist")
    known = app.test_client()
    assert _attempt(known, email, PASSWORD, "10.1.1.7").status_code == 302
    post_form(known, "/logout", {}, form_url="/")
    statuses = [_attempt(known, email, f"gissning-{n}", "10.1.1.7").status_code for n in range(30)]
    bound = app.config["LOGIN_MAX_FAILURES_KNOWN_DEVICE"]
    assert 5 < bound < 30
    assert statuses[:bound] == [401] * bound and set(statuses[bound:]) == {429}
    assert _attempt(known, email, PASSWORD, "10.1.1.7").status_code == 429  # until the window has passed


def _proxied(client, email, password, client_address):
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # every request comes from the reverse proxy
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers={"X-Forwarded-For": client_address},
    )


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(app, database_url, make_user):
    from conference import create_app

    emails = [make_user("specialist")[1] for _ in range(4)]
    for proxies, real_user_status in ((1, 302), (0, 429)):
        proxied_app = create_app(
            "testing", SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=proxies, LOGIN_MAX_FAILURES_PER_ADDRESS=6
        )
        attacker = proxied_app.test_client()
        statuses = [_proxied(attacker, emails[n % 3], "fel-fel-fel", "198.51.100.9").status_code for n in range(8)]
        assert statuses[:6] == [401] * 6 and statuses[6:] == [429, 429]
        # Another person behind the same proxy: counted by the address the proxy forwards, so not stopped; with
        # no trusted proxy, the forwarded address is not believed (anyone could send it) and the proxy's counts.
        real = _proxied(proxied_app.test_client(), emails[3], PASSWORD, "10.2.2.2").status_code
        assert real == real_user_status
        with proxied_app.app_context():
            db.session.execute(delete(LoginFailure))
            db.session.commit()
            db.engine.dispose()


def test_a_cookie_from_before_sign_out_no_longer_works(app, client, make_user):
    _user_id, email = make_user("coordinator")
    assert login(client, email).status_code == 302
    stolen = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    post_form(client, "/logout", {}, form_url="/")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "password, message",
    [
        ("aaaaaaaaaa", "five different characters"),
        ("kort", "at least 10 characters"),
        ("Sommar2026!", "too common"),
        ("password123", "too common"),
        ("1234567890123", "too common"),
        ("Karin-Lund-99x", "your name or email"),
        ("1qaz2wsx3edc", "too easy to guess"),
        ("abcde12345", "too easy to guess"),
    ],
)
def test_the_password_policy(app, password, message):
    with app.app_context(), pytest.raises(people.AccountError, match=message):
        people.create_user(
            email="karin.lund@example-hospital.se", name="Karin Lund", role="coordinator", password=password
        )


def test_changing_the_password_ends_other_sessions(app, make_user):
    _user_id, email = make_user("specialist")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, email)
    login(elsewhere, email)
    refused = post_form(
        here,
        "/account/password",
        {"current_password": "fel", "new_password": "Ny-lång-fras-77", "repeat": "Ny-lång-fras-77"},
    )
    assert refused.status_code == 400 and "The current password is wrong." in refused.get_data(as_text=True)
    changed = post_form(
        here,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "Ny-lång-fras-77", "repeat": "Ny-lång-fras-77"},
    )
    assert changed.status_code == 302
    assert here.get("/").status_code == 200  # this session goes on
    assert elsewhere.get("/").status_code == 302  # the other one ended
    assert login(app.test_client(), email, "Ny-lång-fras-77").status_code == 302
    with app.app_context():
        db.session.remove()


def test_the_demo_password_is_refused_outside_development(app):
    from conference.seed import DEMO_PASSWORD

    with app.app_context():
        app.config["DEMO_PASSWORD_ALLOWED"] = False  # production and the default configuration
        try:
            with pytest.raises(people.AccountError, match="demo password"):
                people.create_user(
                    email="karin.lund@example-hospital.se",
                    name="Karin Lund",
                    role="coordinator",
                    password=DEMO_PASSWORD,
                )
        finally:
            app.config["DEMO_PASSWORD_ALLOWED"] = True
    from config import CONFIGS

    assert not CONFIGS["production"].DEMO_PASSWORD_ALLOWED and CONFIGS["development"].DEMO_PASSWORD_ALLOWED
