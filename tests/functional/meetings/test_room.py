"""Presentation mode: the chair's navigation is the room's current case, every change bumps the revision that
followers poll (ETag, 304 when nothing changed), saving stays on the case or goes on to the next, the chair can
mark everyone present and defer what is left in one click each; followers cannot save."""

from __future__ import annotations

from sqlalchemy import func, select

from conference.agenda.models import AgendaItem, AgendaOutcome
from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import Attendance, Decision
from tests.conftest import PASSWORD, csrf_token, login
from tests.functional.meetings.helpers import meeting_with_cases


def _setup(app, make_user, count=3):
    coordinator = make_user("coordinator")[0]
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon")
    physio_id, physio_email = make_user("specialist", "physiotherapist")
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair_id, physio_id], count, chair_id=chair_id)
    return conference_id, item_ids, chair_email, physio_email


def _state(client, conference_id, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/meetings/{conference_id}/room/state", headers=headers)


def test_the_chair_leads_and_followers_see_each_change(app, make_user):
    conference_id, items, chair_email, physio_email = _setup(app, make_user)
    chair, follower = app.test_client(), app.test_client()
    login(chair, chair_email, PASSWORD)
    login(follower, physio_email, PASSWORD)

    opening = chair.get(f"/meetings/{conference_id}/room")
    assert opening.status_code == 302 and opening.headers["Location"].endswith(f"/meetings/item/{items[0]}/present")
    first = _state(follower, conference_id)
    etag = first.headers["ETag"]
    assert _state(follower, conference_id, etag).status_code == 304  # nothing changed: a 304, no body

    assert chair.get(f"/meetings/item/{items[1]}/present").status_code == 200
    moved = _state(follower, conference_id, etag)
    assert moved.status_code == 200 and moved.get_json()["current_item_id"] == items[1]
    etag = moved.headers["ETag"]
    # the follower looking at another case moves nobody
    assert follower.get(f"/meetings/item/{items[2]}/present").status_code == 200
    assert _state(follower, conference_id, etag).status_code == 304

    token = csrf_token(chair, f"/meetings/item/{items[1]}/present")
    saved = chair.post(
        f"/meetings/item/{items[1]}/present",
        data={
            "csrf_token": token,
            "version": "0",
            "treatment": "insoles",
            "rationale": "Inlägg 15 mm",
            "patient_response": "accepted",
            "action_owner": "0",
        },
    )
    assert (
        saved.status_code == 302 and f"/meetings/item/{items[1]}/present?saved={items[1]}" in saved.headers["Location"]
    )
    changed = _state(follower, conference_id, etag)
    assert changed.status_code == 200
    page = follower.get(changed.get_json()["current_url"] + "?fragment=1").get_data(as_text=True)
    assert "Inlägg 15 mm" in page and "<html" not in page  # the fragment the follower's page swaps in

    # save and next goes on to the next case
    token = csrf_token(chair, f"/meetings/item/{items[0]}/present")
    onward = chair.post(
        f"/meetings/item/{items[0]}/present",
        data={
            "csrf_token": token,
            "version": "0",
            "treatment": "no_treatment",
            "rationale": "Följs",
            "patient_response": "accepted",
            "action_owner": "0",
            "then": "next",
        },
    )
    assert f"/meetings/item/{items[1]}/present" in onward.headers["Location"]

    # a follower cannot save
    token = csrf_token(follower, f"/meetings/item/{items[2]}/present")
    refused = follower.post(
        f"/meetings/item/{items[2]}/present",
        data={
            "csrf_token": token,
            "version": "0",
            "treatment": "insoles",
            "rationale": "x",
            "patient_response": "accepted",
        },
    )
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Decision)) == 2
        views = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.view"))
        assert views >= 4  # every presentation page is an access to its case


def test_everyone_present_and_defer_what_is_left_in_one_click_each(app, make_user):
    conference_id, items, chair_email, _physio = _setup(app, make_user, count=4)
    chair = app.test_client()
    login(chair, chair_email, PASSWORD)
    page = f"/meetings/item/{items[0]}/present"
    token = csrf_token(chair, page)
    back = chair.post(f"/meetings/{conference_id}/attendance/all-present", data={"csrf_token": token, "next": page})
    assert back.status_code == 302 and back.headers["Location"] == page
    chair.post(
        page,
        data={
            "csrf_token": token,
            "version": "0",
            "treatment": "insoles",
            "rationale": "Inlägg",
            "patient_response": "accepted",
            "action_owner": "0",
        },
    )
    chair.post(f"/meetings/{conference_id}/defer-remaining", data={"csrf_token": token, "next": page, "expected": "3"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attendance)) == 2
        outcomes = dict(db.session.execute(select(AgendaItem.id, AgendaItem.outcome)).all())
        assert outcomes[items[0]] is AgendaOutcome.discussed
        assert [outcomes[i] for i in items[1:]] == [AgendaOutcome.deferred] * 3
        assert meetings.room_state(conference_id).revision >= 3
    # an outside address in `next` is not followed
    away = chair.post(
        f"/meetings/{conference_id}/defer-remaining",
        data={"csrf_token": token, "next": "https://evil.example/", "expected": "0"},
    )
    assert away.headers["Location"].endswith(f"/meetings/{conference_id}")
