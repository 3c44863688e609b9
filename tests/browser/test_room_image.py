"""The radiograph in presentation mode, in a real browser: the chair opens the case's long-leg radiograph for
everyone and a follower's page shows it in the viewer within 5 seconds without reloading; the viewer zooms with
the keyboard and loads the zoom tiles."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conference.cases import services as cases
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import User
from tests.browser.test_meeting_room import _sign_in
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_single
from tests.functional.imaging.helpers import attach, dicom_bytes

pytestmark = pytest.mark.browser


def test_the_chair_opens_the_radiograph_and_a_follower_sees_it(app, browser, make_user, live_server):
    coordinator = make_user("coordinator")[0]
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon", name="Erik Sandberg")
    physio_id, physio_email = make_user("specialist", "physiotherapist", name="Lisa Ek")
    with app.app_context():
        actor = db.session.get(User, coordinator)
        conference = book_single(
            actor,
            utcnow() - timedelta(minutes=10),
            title="MDT benförlängning",
            hours=2,
            chair=db.session.get(User, chair_id),
            participants=[db.session.get(User, physio_id)],
            location="Rum 3",
            record_only=True,
        )
        case = make_ready_case(coordinator, 300)
        cases.list_case(conference, case, actor, override_reason="Listat under mötet")
        image = attach(case, dicom_bytes(case.patient, rows=1800, columns=700), actor, side="bilateral")
        db.session.commit()
        conference_id, image_id = conference.id, image.id

    chair = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900}).new_page()
    follower = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900}).new_page()
    errors = []
    for page in (chair, follower):
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(chair, live_server.url, chair_email)
    _sign_in(follower, live_server.url, physio_email)
    chair.goto(live_server.url + f"/meetings/{conference_id}/room")
    follower.goto(live_server.url + f"/meetings/{conference_id}/room")
    expect(follower.locator(".room-case .gallery img")).to_have_count(1)
    assert follower.locator(".viewer").count() == 0
    follower.evaluate("window.notReloaded = true")

    chair.click(f"button.open-image[data-image='{image_id}']")
    viewer = f".viewer[data-image='{image_id}']"
    expect(chair.locator(viewer)).to_have_attribute("data-state", "ready")
    started = time.monotonic()
    expect(follower.locator(viewer)).to_have_attribute("data-state", "ready", timeout=5_000)
    seen = time.monotonic() - started
    assert follower.evaluate("window.notReloaded") is True
    assert follower.locator(f"{viewer} img.viewer-base").evaluate("img => img.complete && img.naturalWidth") > 0
    assert follower.locator("#close-image").count() == 0  # only the presenter closes it

    # The chair zooms in with the keyboard: the tiles of the full-size level are loaded for the part in view.
    chair.locator(viewer).focus()
    before = float(chair.locator(viewer).get_attribute("data-zoom"))
    for _ in range(5):
        chair.keyboard.press("+")
    after = float(chair.locator(viewer).get_attribute("data-zoom"))
    assert after > before * 5
    expect(chair.locator(f"{viewer} img.viewer-tile[data-level='0']").first).to_be_attached()
    chair.wait_for_function(
        f'() => [...document.querySelectorAll("{viewer} img.viewer-tile")].some(t => t.complete && t.naturalWidth)'
    )
    chair.keyboard.press("0")
    assert float(chair.locator(viewer).get_attribute("data-zoom")) == pytest.approx(before, rel=0.01)

    chair.click("#close-image")
    expect(follower.locator(viewer)).to_have_count(0, timeout=5_000)
    assert not errors, errors
    print(f"\nfollower saw the radiograph after {seen:.1f} s")
    chair.context.close()
    follower.context.close()
