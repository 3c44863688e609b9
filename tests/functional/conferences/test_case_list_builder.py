"""The case-list builder: several ready cases listed at once (all or none when a rule needs an override),
the list reordered in one go with every row's version (a list changed meanwhile is refused, nothing lost), the
specialties the listed cases need against those invited, with a one-click invitation, and a bounded queue."""

from __future__ import annotations

from sqlalchemy import select

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference
from conference.extensions import db
from tests.conftest import csrf_token
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series


def _conference(app, coordinator_id, people, *, cases=5, capacity=10, required=("orthopaedic_surgeon",)):
    with app.app_context():
        series = book_series(people, actor_id=coordinator_id)
        conference = series.conferences[0]
        conference.capacity = capacity
        ids = [make_ready_case(coordinator_id, 700 + n, required_specialties=list(required)).id for n in range(cases)]
        db.session.commit()
        return conference.id, ids


def _positions(app, conference_id):
    with app.app_context():
        return list(
            db.session.scalars(
                select(AgendaItem.case_id)
                .where(AgendaItem.conference_id == conference_id)
                .order_by(AgendaItem.position)
            )
        )


def test_list_several_at_once_and_reorder(app, client, signed_in, make_user):
    coordinator = signed_in("coordinator")
    surgeon = make_user("specialist", "orthopaedic_surgeon")[0]
    conference_id, ids = _conference(app, coordinator, [surgeon])
    page = f"/conferences/{conference_id}"
    token = csrf_token(client, page)
    listed = client.post(f"/cases/agenda/{conference_id}/list-many", data={"csrf_token": token, "case_ids": ids})
    assert listed.status_code == 302
    assert _positions(app, conference_id) == ids
    with app.app_context():
        items = db.session.scalars(
            select(AgendaItem).where(AgendaItem.conference_id == conference_id).order_by(AgendaItem.position)
        ).all()
        order = [(i.id, i.version) for i in items]
    reordered = list(reversed(order))
    response = client.post(
        f"/cases/agenda/{conference_id}/order",
        data={"csrf_token": token, "order": ",".join(f"{i}:{v}" for i, v in reordered)},
    )
    assert response.status_code == 302
    assert _positions(app, conference_id) == list(reversed(ids))
    # the page's versions are old now: the same order posted again is refused, the list stays as saved
    stale = client.post(
        f"/cases/agenda/{conference_id}/order",
        data={"csrf_token": token, "order": ",".join(f"{i}:{v}" for i, v in order)},
    )
    assert stale.status_code == 409 and "Someone else changed the case list" in stale.get_data(as_text=True)
    assert _positions(app, conference_id) == list(reversed(ids))


def test_over_capacity_lists_none_without_a_reason_and_keeps_the_choice(app, client, signed_in, make_user):
    coordinator = signed_in("coordinator")
    surgeon = make_user("specialist", "orthopaedic_surgeon")[0]
    conference_id, ids = _conference(app, coordinator, [surgeon], cases=4, capacity=3)
    token = csrf_token(client, f"/conferences/{conference_id}")
    refused = client.post(f"/cases/agenda/{conference_id}/list-many", data={"csrf_token": token, "case_ids": ids})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "override" in text and text.count('name="case_ids" value=') == 4 and text.count(" checked>") >= 4
    assert _positions(app, conference_id) == []
    accepted = client.post(
        f"/cases/agenda/{conference_id}/list-many",
        data={"csrf_token": token, "case_ids": ids, "override_reason": "Brådskande, godkänt av ordföranden"},
    )
    assert accepted.status_code == 302 and len(_positions(app, conference_id)) == 4


def test_the_missing_specialty_is_invited_in_one_click(app, client, signed_in, make_user, smtp):
    coordinator = signed_in("coordinator")
    surgeon = make_user("specialist", "orthopaedic_surgeon")[0]
    geneticist = make_user("specialist", "clinical_geneticist", name="Johan Berg")[0]
    conference_id, ids = _conference(
        app, coordinator, [surgeon], cases=1, required=("orthopaedic_surgeon", "clinical_geneticist")
    )
    token = csrf_token(client, f"/conferences/{conference_id}")
    client.post(f"/cases/agenda/{conference_id}/list-many", data={"csrf_token": token, "case_ids": ids})
    page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert 'id="missing-specialties"' in page and 'value="clinical_geneticist"' in page
    done = client.post(
        f"/conferences/{conference_id}/invite-specialty", data={"csrf_token": token, "specialty": "clinical_geneticist"}
    )
    assert done.status_code == 302
    with app.app_context():
        assert geneticist in {i.user_id for i in db.session.get(Conference, conference_id).invitations}
    assert 'id="missing-specialties"' not in client.get(f"/conferences/{conference_id}").get_data(as_text=True)


def test_the_ready_queue_is_bounded(app, client, signed_in, make_user):
    coordinator = signed_in("coordinator")
    surgeon = make_user("specialist", "orthopaedic_surgeon")[0]
    conference_id, _ids = _conference(app, coordinator, [surgeon], cases=53)
    page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert page.count('name="case_ids"') == 50 and "50 of 53 shown" in page
    more = client.get(f"/conferences/{conference_id}?queue=100").get_data(as_text=True)
    assert more.count('name="case_ids"') == 53
