import pytest

from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser


def test_demo_coordinator_signs_in_and_sees_the_dashboard(app, live_server, page):
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
    page.goto(live_server.url + "/")
    assert "/login" in page.url
    page.fill("input[name=email]", "koordinator@example-hospital.se")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button.primary")
    page.wait_for_url(live_server.url + "/")
    # The demo coordinator works in Swedish.
    assert page.locator("h1").inner_text() == "Välkommen, Karin Lund"
