"""The patient's access log and the audit log page: a page of 100 events, newest first, with a link to older ones;
the SQL statement count does not grow with the number of events (it did: one query per event)."""

from __future__ import annotations

from sqlalchemy import insert

from conference.audit.models import AuditEvent
from conference.db import utcnow
from conference.extensions import db
from conference.people.models import User
from tests.functional.cases.helpers import make_patient
from tests.functional.cases.test_cases import _queries


def _events(app, patient_id: int, actor_id: int, count: int) -> None:
    with app.app_context():
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "at": utcnow(),
                    "actor_id": actor_id,
                    "action": "case.view",
                    "target_type": "case",
                    "target_id": n,
                    "patient_id": patient_id,
                }
                for n in range(count)
            ],
        )
        db.session.commit()


def test_the_access_log_pages_and_its_cost_does_not_grow(app, client, signed_in, make_user):
    admin = signed_in("admin")
    coordinator = make_user("coordinator")[0]
    with app.app_context():
        small = make_patient(db.session.get(User, coordinator), 1).id
        large = make_patient(db.session.get(User, coordinator), 2).id
        db.session.commit()
    _events(app, small, coordinator, 5)
    _events(app, large, coordinator, 600)
    assert _queries(app, client, f"/patients/{small}/access-log") == _queries(
        app, client, f"/patients/{large}/access-log"
    )
    assert _queries(app, client, "/admin/audit/") == _queries(app, client, "/admin/audit/")
    page = client.get(f"/patients/{large}/access-log").get_data(as_text=True)
    assert page.count("<tr>") == 101  # the header and a page of 100
    older = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert second.count("<tr>") == 101 and "Newest" in second
    total, url = 0, f"/patients/{large}/access-log"
    while url:  # every event is on exactly one page (the log's own views are added as we go)
        text = client.get(url).get_data(as_text=True)
        total += text.count("<tr>") - 1
        url = text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&") if 'rel="next"' in text else None
    assert 600 < total < 620 and admin
