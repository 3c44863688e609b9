"""axe-core (from the npm registry) in Chromium over the meeting room's pages, the case-list builder, the archive and
the hospital-systems page: no serious or critical violation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference, ConferenceStatus
from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "node" / "node_modules" / "axe-core" / "axe.min.js"


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_new_pages_have_no_serious_accessibility_violation(app, live_server, browser, clock):
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` installs the test tools (npm ci in tests/node)")
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
        meeting = db.session.scalar(
            select(Conference)
            .join(AgendaItem, AgendaItem.conference_id == Conference.id)
            .where(Conference.status == ConferenceStatus.scheduled)
            .order_by(Conference.starts_at)
        )
        meeting_id = meeting.id
        first_item = db.session.scalar(
            select(AgendaItem.id).where(AgendaItem.conference_id == meeting_id).order_by(AgendaItem.position)
        )
        from conference.imaging.models import CaseImage, ImageFormat

        radiograph = db.session.scalar(select(CaseImage).where(CaseImage.format == ImageFormat.dicom))
        image_pages = [f"/imaging/{radiograph.id}", f"/imaging/case/{radiograph.case_id}/add"]
        clock.travel_to(meeting.starts_at + timedelta(minutes=3))
    pages = {
        "koordinator@example-hospital.se": [
            f"/conferences/{meeting_id}",
            "/conferences/archive",
            "/conferences/",
            f"/meetings/item/{first_item}/present",
        ],
        "ortoped1@example-hospital.se": [
            f"/meetings/item/{first_item}/present",
            f"/meetings/{meeting_id}",
            *image_pages,
        ],
        "fysioterapeut@example-hospital.se": [f"/meetings/item/{first_item}/present"],
        "admin@example-hospital.se": ["/integrations/"],
        None: ["/login"],
    }
    found = []
    checked = 0
    for email, paths in pages.items():
        context = browser.new_context(locale="sv-SE", bypass_csp=True)  # CSP would refuse the injected axe script
        page = context.new_page()
        if email:
            page.goto(live_server.url + "/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("main button.primary")
            page.wait_for_url(live_server.url + "/")
        for path in paths:
            page.goto(live_server.url + path)
            found += _violations(page)
            checked += 1
        context.close()
    print(f"\naxe-core: {checked} pages, {len(found)} serious or critical violations")
    assert not found, "\n".join(found)
