"""The meeting room in a real browser: a follower's page shows the chair's decision and the chair's next case within
5 seconds without reloading, served by gunicorn with two workers on the suite's database (SQLite, or PostgreSQL in
CI's second run); presentation mode keeps a draft through a reload."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conference.cases import services as cases
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import User
from tests.conftest import PASSWORD, free_port
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_single

pytestmark = pytest.mark.browser


@pytest.fixture
def gunicorn(database_url):
    """The app under gunicorn, two sync workers, on the suite's database (and the suite's clock offset)."""
    port = free_port()
    environment = dict(os.environ, CONFERENCE_ENV="testing", CONFERENCE_DATABASE_URL=database_url)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "conference.wsgi:app",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/login", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output, _ = process.communicate(timeout=10)
                pytest.fail("gunicorn did not start: " + output)
            time.sleep(0.2)
    yield url
    process.terminate()
    process.communicate(timeout=20)


def _meeting_now(app, make_user, count=2):
    """A meeting that started ten minutes ago (on the app's clock, which gunicorn shares) with `count` cases."""
    coordinator = make_user("coordinator")[0]
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon", name="Erik Sandberg")
    physio_id, physio_email = make_user("specialist", "physiotherapist", name="Lisa Ek")
    with app.app_context():
        actor = db.session.get(User, coordinator)
        chair, physio = db.session.get(User, chair_id), db.session.get(User, physio_id)
        conference = book_single(
            actor,
            utcnow() - timedelta(minutes=10),
            title="MDT benförlängning",
            hours=2,
            chair=chair,
            participants=[physio],
            location="Rum 3",
            record_only=True,
        )
        names = []
        for n in range(count):
            case = make_ready_case(coordinator, 300 + n)
            cases.list_case(conference, case, actor, override_reason="Listat under mötet")
            names.append(case.patient.name)
        db.session.commit()
        return conference.id, chair_email, physio_email, names


def _sign_in(page, url, email):
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.wait_for_url(url + "/")


def test_a_follower_sees_the_chairs_decision_and_next_case_within_5_seconds(app, browser, make_user, gunicorn):
    conference_id, chair_email, physio_email, names = _meeting_now(app, make_user)
    chair = browser.new_context(locale="en-GB").new_page()
    follower = browser.new_context(locale="en-GB").new_page()
    for page in (chair, follower):
        page.set_default_timeout(15_000)
    _sign_in(chair, gunicorn, chair_email)
    _sign_in(follower, gunicorn, physio_email)
    chair.goto(gunicorn + f"/meetings/{conference_id}/room")
    expect(chair.locator("h1")).to_contain_text(names[0])
    follower.goto(gunicorn + f"/meetings/{conference_id}/room")
    expect(follower.locator("h1")).to_contain_text(names[0])
    follower.evaluate("window.notReloaded = true")

    chair.select_option("select[name=treatment]", "insoles")
    chair.fill("textarea[name=rationale]", "Inlägg 15 mm, ny mätning om ett år")
    chair.click("#save-decision")
    expect(chair.locator("#recorded-decision")).to_contain_text("Inlägg 15 mm")
    started = time.monotonic()
    expect(follower.locator("#recorded-decision")).to_contain_text("Inlägg 15 mm", timeout=5_000)
    decision_seen = time.monotonic() - started

    chair.click("#next-case")
    expect(chair.locator("h1")).to_contain_text(names[1])
    started = time.monotonic()
    expect(follower.locator("h1")).to_contain_text(names[1], timeout=5_000)
    case_seen = time.monotonic() - started
    assert follower.evaluate("window.notReloaded") is True  # the page was updated in place, not reloaded
    assert follower.locator("#decision-form").count() == 0  # followers read; they do not record
    print(f"\nfollower saw the decision after {decision_seen:.1f} s and the next case after {case_seen:.1f} s")
    chair.context.close()
    follower.context.close()


def test_presentation_mode_keeps_a_draft_and_the_keys_work(app, browser, make_user, gunicorn):
    conference_id, chair_email, _physio, names = _meeting_now(app, make_user, count=3)
    page = browser.new_context(locale="en-GB").new_page()
    _sign_in(page, gunicorn, chair_email)
    page.goto(gunicorn + f"/meetings/{conference_id}/room")
    page.fill("textarea[name=rationale]", "Halvskrivet när strömmen gick")
    page.reload()  # a crash, a lost connection: the typing comes back
    expect(page.locator("textarea[name=rationale]")).to_have_value("Halvskrivet när strömmen gick")
    expect(page.locator("#draft-notice")).to_be_visible()
    page.locator("h1").click()  # out of the form: the arrow keys move between cases
    page.keyboard.press("ArrowRight")
    expect(page.locator("h1")).to_contain_text(names[1])
    page.wait_for_selector("html[data-room=ready]", state="attached")  # the new page's script is listening
    page.keyboard.press("ArrowLeft")
    expect(page.locator("h1")).to_contain_text(names[0])
    page.wait_for_selector("html[data-room=ready]", state="attached")
    page.select_option("select[name=treatment]", "epiphysiodesis")
    page.locator("textarea[name=rationale]").focus()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#recorded-decision")).to_contain_text("Halvskrivet")
    page.reload()
    expect(page.locator("#draft-notice")).to_be_hidden()  # saved: the draft is gone
    page.context.close()
