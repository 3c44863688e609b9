"""Sign-in that an attacker cannot turn against the real user, that does not tell which accounts exist, and whose
sessions end when the user signs out or changes the password."""

from __future__ import annotations

import statistics
import time

import pytest

from conference.extensions import db
from conference.people import services as people
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


def test_unknown_and_known_emails_take_the_same_time(app, make_user):
    saved = {k: app.config[k] for k in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST")}
    app.config.update(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19456)  # the production cost, so hashing dominates
    try:
        known = [make_user("specialist")[1] for _ in range(12)]
        unknown = [f"finns-inte-{n}@example-hospital.se" for n in range(12)]
        client = app.test_client()
        token = csrf_token(client, "/login")
        times = {"known": [], "unknown": []}
        for n in range(12):  # interleaved, one attempt per account (no throttling in play)
            for kind, email in (("known", known[n]), ("unknown", unknown[n])):
                began = time.perf_counter()
                response = client.post(
                    "/login",
                    data={"email": email, "password": "fel-lösenord-1", "csrf_token": token},
                    environ_base={"REMOTE_ADDR": f"10.9.{n}.1"},
                )
                times[kind].append(time.perf_counter() - began)
                assert response.status_code == 401
        known_ms, unknown_ms = (statistics.median(times[k]) * 1000 for k in ("known", "unknown"))
        assert abs(known_ms - unknown_ms) / known_ms < 0.10, (known_ms, unknown_ms)
    finally:
        app.config.update(saved)


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
    ],
)
def test_the_password_policy(app, password, message):
    with app.app_context():
        with pytest.raises(people.AccountError, match=message):
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
