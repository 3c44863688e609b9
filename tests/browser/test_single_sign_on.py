"""Sign-in through a real OpenID Connect provider: panva's oidc-provider (OpenID Certified, from the npm
registry) run with node by the test. The demo surgeon signs in without a local password, takes the role the
provider's claim gives, and signs out; someone the unit has no account for is turned away."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.people.models import Role, Specialty, User
from conference.seed import seed_demo
from tests.conftest import free_port

pytestmark = pytest.mark.browser

PROVIDER = Path(__file__).resolve().parent.parent / "node"
SURGEON = "ortoped1@example-hospital.se"


@pytest.fixture
def identity_provider(app, live_server, monkeypatch):
    if not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("tests/node/node_modules is missing: `make test` installs it (npm ci)")
    port = free_port()
    accounts = {
        SURGEON: {
            "email": SURGEON,
            "name": "Erik Sandberg",
            "roles": ["mdt-specialist"],
            "specialty": "orthopaedic_surgeon",
        },
        "stranger@example-hospital.se": {
            "email": "stranger@example-hospital.se",
            "name": "N N",
            "roles": ["mdt-specialist"],
        },
        # another provider account that claims the surgeon's email without the provider having verified it
        "impostor": {"email": SURGEON, "email_verified": False, "name": "I I", "roles": ["mdt-admin"]},
    }
    environment = dict(
        os.environ,
        OIDC_PORT=str(port),
        OIDC_CLIENT_ID="conference",
        OIDC_CLIENT_SECRET="a-client-secret-for-the-test-provider",
        OIDC_REDIRECT_URI=f"{live_server.url}/login/sso/callback",
        OIDC_ACCOUNTS=json.dumps(accounts),
    )
    process = subprocess.Popen(
        ["node", str(PROVIDER / "provider.mjs")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=1) as answer:
                assert json.load(answer)["issuer"] == issuer
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output, _ = process.communicate(timeout=10)
                pytest.fail("the OpenID Connect provider did not start: " + (output or ""))
            time.sleep(0.1)
    for key, value in {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": "conference",
        "OIDC_CLIENT_SECRET": "a-client-secret-for-the-test-provider",
        "OIDC_SCOPES": "openid email profile roles",
        "OIDC_ROLE_CLAIM": "roles",
        "OIDC_SPECIALTY_CLAIM": "specialty",
        "LOCAL_PASSWORD_LOGIN": False,
        "CONFERENCE_BASE_URL": live_server.url,  # the callback address is built from it
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield issuer
    process.terminate()
    process.communicate(timeout=10)  # reads and closes its output


def _through_the_provider(page, login: str) -> None:
    page.get_by_role("link", name="Sign in with the hospital account").click()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "whatever-the-provider-asks")  # the provider's own check, not ours
    page.click("button[type=submit]")
    page.click("button[type=submit]")  # consent: "Continue"


def test_the_demo_surgeon_signs_in_through_the_hospitals_provider(app, live_server, page, identity_provider):
    with app.app_context():
        seed_demo(history=False)
        surgeon = db.session.scalar(select(User).where(User.email == SURGEON))
        surgeon.role, surgeon.specialty = Role.coordinator, None  # the provider's claim will decide
        db.session.commit()
    page.goto(live_server.url + "/cases/")
    assert "/login" in page.url
    # passwords are turned off: no password field, and posting one is refused
    assert page.locator("input[name=password]").count() == 0
    _through_the_provider(page, SURGEON)
    page.wait_for_url(live_server.url + "/cases/")
    with app.app_context():
        surgeon = db.session.scalar(select(User).where(User.email == SURGEON))
        assert surgeon.role is Role.specialist and surgeon.specialty is Specialty.orthopaedic_surgeon
        login = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.login")).all()[-1]
        assert login.actor_id == surgeon.id and '"oidc"' in login.detail
    # a specialist now: the coordinator's pages are closed
    assert page.goto(live_server.url + "/integrations/").status == 403
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/login")
    assert page.goto(live_server.url + "/cases/").url.startswith(live_server.url + "/login")


def test_someone_without_an_account_is_turned_away(app, live_server, page, identity_provider):
    page.goto(live_server.url + "/login")
    _through_the_provider(page, "stranger@example-hospital.se")
    page.wait_for_url("**/login/sso/callback**")
    assert "no account in the conference system" in page.locator("[role=alert]").inner_text()
    assert page.goto(live_server.url + "/").url.startswith(live_server.url + "/login")


def test_an_unverified_email_does_not_sign_in_as_its_owner(app, live_server, page, identity_provider):
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
    page.goto(live_server.url + "/login")
    _through_the_provider(page, "impostor")
    page.wait_for_url("**/login/sso/callback**")
    assert "not verified" in page.locator("[role=alert]").inner_text()
    assert page.goto(live_server.url + "/").url.startswith(live_server.url + "/login")
    with app.app_context():
        surgeon = db.session.scalar(select(User).where(User.email == SURGEON))
        assert surgeon.oidc_subject is None and surgeon.role is not Role.admin
