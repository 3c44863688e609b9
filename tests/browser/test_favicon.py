"""Issue 21: no page asks the server for something it does not have (the browser's favicon request was a 404)."""

import pytest

from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser


def test_pages_link_an_icon_and_request_nothing_missing(app, live_server, page):
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "koordinator@example-hospital.se")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button.primary")
    page.wait_for_url(live_server.url + "/")
    for path in ("/", "/conferences/", "/cases/"):
        page.goto(live_server.url + path)
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert icon, path
        assert page.request.get(live_server.url + icon).status == 200
    page.wait_for_timeout(300)  # the icon request is made after the load event
    assert failed == []
