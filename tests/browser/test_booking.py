from datetime import timedelta

import pytest
from icalendar import Calendar

from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser


def test_coordinator_books_a_series_and_downloads_its_ics(app, live_server, page, tmp_path):
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", "koordinator@example-hospital.se")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server.url + "/conferences/new")
    page.fill("input[name=title]", "Torsdagskonferens")
    page.check("input[name=kind][value=series]")
    day = (app.extensions["clock"].now() + timedelta(days=9)).date().isoformat()
    page.fill("input[name=date]", day)
    page.fill("input[name=start_time]", "14:00")
    page.fill("input[name=end_time]", "15:30")
    page.fill("input[name=location]", "Konferensrum 4")
    page.get_by_label("Johan Berg").check()
    page.get_by_label("Lisa Ek").check()
    page.click("main button.primary")
    page.wait_for_url("**/conferences/series/*")
    assert "Torsdagskonferens" in page.locator("h1").inner_text()
    with page.expect_download() as download_info:
        page.click("a[href$='.ics']")
    path = tmp_path / "series.ics"
    download_info.value.save_as(path)
    cal = Calendar.from_ical(path.read_bytes())
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Torsdagskonferens"
    assert event.decoded("DTSTART").hour == 14 and "RRULE" in event
