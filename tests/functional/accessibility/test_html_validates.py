"""Every page the demo unit reaches validates with the Nu HTML Checker (vnu-jar from the npm registry, run with
Java): the crawler signs in as the coordinator, a physiotherapist and the administrator and follows every link
within the app (two pages per route, so a hundred case pages count as two)."""

from __future__ import annotations

import json
import re
import subprocess
from collections import deque
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo
from tests.conftest import login

VNU = Path(__file__).resolve().parents[2] / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SKIP = re.compile(r"^/(static|fhir)/|\.(ics|docx|csv|xlsx)$|^/logout$|/download|/draft$")
HREF = re.compile(r'href="([^"#]+)')
PER_ROUTE = 2


def crawl(app, client, start: str = "/") -> dict[str, str]:
    """url -> HTML of every page reachable from `start` by links (GET), at most PER_ROUTE pages per route."""
    adapter = app.url_map.bind("localhost")
    seen: set[str] = set()
    per_route: dict[str, int] = {}
    pages: dict[str, str] = {}
    queue = deque([start])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        try:
            endpoint, _args = adapter.match(path, method="GET")
        except Exception:  # noqa: BLE001 - a link to something that is not a page here
            continue
        if per_route.get(endpoint, 0) >= PER_ROUTE:
            continue
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        per_route[endpoint] = per_route.get(endpoint, 0) + 1
        html = response.get_data(as_text=True)
        pages[url] = html
        for link in HREF.findall(html):
            target = urljoin(url, link.replace("&amp;", "&"))
            if target.startswith("/") and not target.startswith("//") and not SKIP.search(urlsplit(target).path):
                queue.append(target)
    return pages


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    """The checker's errors, as 'url: line: message'."""
    files = {}
    for n, (url, html) in enumerate(sorted(pages.items())):
        path = folder / f"page{n:03d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = url
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--stdout", *map(str, sorted(folder.glob("*.html")))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stdout)["messages"]
    return [
        f"{files.get(Path(urlsplit(m.get('url', '')).path).name, m.get('url'))}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]


@pytest.fixture
def demo(app):
    with app.app_context():
        seed_demo(history=True)
        db.session.commit()


def test_every_page_the_demo_reaches_validates(app, demo, tmp_path, clock):
    if not VNU.exists():
        pytest.fail("vnu.jar is missing: `make test` installs the test tools (npm ci in tests/node)")
    pages = {}
    for email in ("koordinator@example-hospital.se", "fysioterapeut@example-hospital.se", "admin@example-hospital.se"):
        client = app.test_client()
        login(client, email, DEMO_PASSWORD)
        pages |= crawl(app, client)
    pages |= crawl(app, app.test_client(), "/login")
    # ... and again during the next meeting, when the recording forms and presentation mode are open
    from sqlalchemy import select

    from conference.agenda.models import AgendaItem
    from conference.conferences.models import Conference, ConferenceStatus

    with app.app_context():
        meeting = db.session.scalar(
            select(Conference)
            .join(AgendaItem, AgendaItem.conference_id == Conference.id)
            .where(Conference.status == ConferenceStatus.scheduled)
            .order_by(Conference.starts_at)
        )
        clock.travel_to(meeting.starts_at + timedelta(minutes=5))
        meeting_id = meeting.id
    for email in ("koordinator@example-hospital.se", "ortoped1@example-hospital.se"):
        client = app.test_client()
        login(client, email, DEMO_PASSWORD)
        during = crawl(app, client, f"/meetings/{meeting_id}")
        pages |= {f"{url} (during the meeting, {email.split('@')[0]})": html for url, html in during.items()}
    assert len(pages) >= 50, sorted(pages)
    errors = validate(pages, tmp_path)
    print(f"\n{len(pages)} pages checked, {len(errors)} errors")
    assert not errors, "\n".join(errors[:60])
