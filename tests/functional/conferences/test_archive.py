"""The meeting archive (past meetings with their minutes, by dates and series, paged) and the conference list,
which pages instead of stopping at the first 50."""

from __future__ import annotations

from datetime import timedelta

from conference.conferences import services
from conference.conferences.models import ConferenceStatus
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import User
from tests.functional.conferences.helpers import book_single


def _past(app, coordinator_id, days_ago: int, title: str, *, cancel=False):
    with app.app_context():
        actor = db.session.get(User, coordinator_id)
        conference = book_single(actor, utcnow() - timedelta(days=days_ago), title=title, record_only=True)
        if cancel:
            conference.status = ConferenceStatus.cancelled
        db.session.commit()
        return conference.id


def test_the_archive_filters_by_date_and_pages(app, client, signed_in, monkeypatch):
    coordinator = signed_in("coordinator")
    old = _past(app, coordinator, 400, "MDT gammal")
    recent = _past(app, coordinator, 10, "MDT nyligen")
    cancelled = _past(app, coordinator, 20, "MDT inställd", cancel=True)
    page = client.get("/conferences/archive").get_data(as_text=True)
    assert page.index("MDT nyligen") < page.index("MDT inställd") < page.index("MDT gammal")  # newest first
    with app.app_context():  # the app's clock (CI runs the suite two years ahead)
        start = (utcnow() - timedelta(days=30)).date().isoformat()
    filtered = client.get(f"/conferences/archive?start={start}").get_data(as_text=True)
    assert "MDT nyligen" in filtered and "MDT inställd" in filtered and "MDT gammal" not in filtered
    bad = client.get("/conferences/archive?start=2026-01-10&end=2026-01-01")
    assert bad.status_code == 400 and "The end is before the start." in bad.get_data(as_text=True)
    typo = client.get("/conferences/archive?start=tomorrow")
    assert typo.status_code == 400 and 'value="tomorrow"' in typo.get_data(as_text=True)
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    first = client.get("/conferences/archive").get_data(as_text=True)
    assert "Page 1 of 2" in first and "MDT gammal" not in first
    second = client.get("/conferences/archive?page=2").get_data(as_text=True)
    assert "MDT gammal" in second and "MDT nyligen" not in second
    assert {old, recent, cancelled}


def test_the_conference_list_pages_past_the_first_page(app, client, signed_in, make_user, monkeypatch):
    from tests.functional.conferences.helpers import book_series

    coordinator = signed_in("coordinator")
    surgeon = make_user("specialist", "orthopaedic_surgeon")[0]
    with app.app_context():
        series = book_series([surgeon], actor_id=coordinator, weeks=5)
        count = len(series.conferences)
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    pages = -(-count // 2)
    rows = 0
    for number in range(1, pages + 1):
        page = client.get(f"/conferences/?page={number}").get_data(as_text=True)
        assert f"Page {number} of {pages}" in page
        rows += page.count('<td><a href="/conferences/')
    assert count >= 3 and rows == count  # every meeting on exactly one page
