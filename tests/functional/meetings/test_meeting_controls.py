"""The meeting's controls (issue 21): post/redirect/get, signing only once the meeting has started, corrections
that reach only the referrers whose decision changed, and action owners from the whole unit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference, ConferenceStatus
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import ActionItem
from conference.minutes import services as minutes
from conference.notifications.outbox import dispatch_outbox
from conference.people.models import User
from tests.conftest import csrf_token, login, post_form
from tests.functional.meetings.helpers import all_present, days_after, decide, meeting_with_cases


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_adding_an_action_redirects_so_a_second_click_cannot_add_it_twice(app, client, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, _ = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        email = db.session.get(User, chair).email
        due = days_after(db.session.get(Conference, conference_id), 14).isoformat()
    login(client, email)
    response = post_form(
        client,
        f"/meetings/{conference_id}/actions",
        {"description": "Beställ EOS", "owner": str(chair), "due_on": due},
        form_url=f"/meetings/{conference_id}",
    )
    assert response.status_code in (302, 303), response.status_code
    assert response.headers["Location"].endswith(f"/meetings/{conference_id}#actions")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Action added." in page
    # The page the browser lands on has an empty form: reloading it or clicking again adds nothing.
    assert 'value="Beställ EOS"' not in page
    with app.app_context():
        assert _count(ActionItem) == 1


def test_every_successful_meeting_post_redirects(app, client, team):
    """Post/redirect/get for each POST route of the meeting that succeeds (a refusal may re-render with 4xx)."""
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        email = db.session.get(User, chair).email
    login(client, email)
    live = f"/meetings/{conference_id}"
    token = csrf_token(client, live)
    posts = [
        (f"/meetings/{conference_id}/attendance/all-present", {}),
        (f"/meetings/{conference_id}/attendance", {"version": "1", f"attendance-{chair}": "present"}),
        (f"/meetings/{conference_id}/actions", {"description": "Ring remittenten", "owner": str(chair)}),
        (
            f"/meetings/item/{item_ids[0]}",
            {"treatment": "insoles", "rationale": "Liten skillnad", "patient_response": "accepted", "version": "0"},
        ),
        (
            f"/meetings/item/{item_ids[1]}/present",
            {"treatment": "insoles", "rationale": "Liten skillnad", "patient_response": "accepted", "version": "0"},
        ),
        (f"/meetings/item/{item_ids[2]}/defer", {}),
        (f"/meetings/{conference_id}/defer-remaining", {"expected": "0"}),
    ]
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code in (302, 303), (url, response.status_code)


def test_minutes_cannot_be_signed_before_the_meeting_starts(app, client, team, clock):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        conference = db.session.get(Conference, conference_id)
        clock.travel_to(conference.starts_at - timedelta(minutes=10))  # recording is open, the meeting not started
        all_present(conference_id, coordinator)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 0)
        db.session.commit()
        with pytest.raises(minutes.MinutesError, match="starts"):
            minutes.sign(conference, db.session.get(User, chair))
        db.session.rollback()
        email = db.session.get(User, chair).email
    login(client, email)
    page = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert 'id="sign"' not in page and "Signing opens when the meeting starts" in page
    response = post_form(
        client, f"/minutes/{conference_id}/sign", {"confirmed": "1"}, form_url=f"/meetings/{conference_id}"
    )
    assert response.status_code in (302, 303)
    with app.app_context():
        assert db.session.get(Conference, conference_id).status is ConferenceStatus.scheduled
        assert minutes.current(db.session.get(Conference, conference_id)) is None


def test_an_amendment_sends_a_correction_only_for_the_decision_that_changed(app, smtp, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        all_present(conference_id, coordinator)
        actor = db.session.get(User, chair)
        for n, item_id in enumerate(item_ids):
            decide(db.session.get(AgendaItem, item_id), actor, n)
        db.session.commit()
        conference = db.session.get(Conference, conference_id)
        minutes.sign(conference, actor)
        db.session.commit()
        dispatch_outbox()
        dispatch_outbox()
        first = [m for m in smtp.parsed() if m["To"] == "remiss@example-hospital.se"]
        assert len(first) == 3
        before = len(smtp.messages)

        minutes.amend(conference, actor, "Fel beslut för fall 2")
        db.session.commit()
        item = db.session.get(AgendaItem, item_ids[1])
        version = meetings.decision_for_item(item.id).version
        meetings.record_decision(
            item,
            meetings.DecisionInput(
                treatment=meetings.Treatment.insoles,
                rationale="Rättat: inlägg räcker",
                patient_wishes=None,
                follow_up_on=None,
                patient_response=meetings.PatientResponse.accepted,
            ),
            actor,
            expected_version=version,
        )
        db.session.commit()
        minutes.sign(conference, actor)
        db.session.commit()
        dispatch_outbox()
        dispatch_outbox()
    corrections = [m for m in smtp.parsed()[before:] if m["To"] == "remiss@example-hospital.se"]
    assert len(corrections) == 1
    (mail,) = corrections
    body = mail.get_body().get_content()
    assert "Correction" in mail["Subject"] and "Testsson" not in mail["Subject"] and "Barn" not in mail["Subject"]
    assert "corrects the outcome sent" in body and "Insoles" in body


def test_anyone_active_in_the_unit_may_own_an_action(app, client, team, make_user):
    coordinator, chair, others = team
    nurse = make_user("specialist", "nurse", name="Nina Sjuksköterska")[0]  # not invited to the meeting
    gone = make_user("specialist", "nurse", name="Gustav Slutat")[0]
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        db.session.get(User, gone).active = False
        db.session.commit()
        email = db.session.get(User, chair).email
    login(client, email)
    page = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert "Nina Sjuksköterska" in page and "Gustav Slutat" not in page
    added = post_form(
        client,
        f"/meetings/{conference_id}/actions",
        {"description": "Boka gipsning", "owner": str(nurse)},
        form_url=f"/meetings/{conference_id}",
    )
    assert added.status_code in (302, 303)
    decided = post_form(
        client,
        f"/meetings/item/{item_ids[0]}",
        {
            "treatment": "insoles",
            "rationale": "Inlägg",
            "patient_response": "accepted",
            "version": "0",
            "action_description": "Prova ut inlägg",
            "action_owner": str(nurse),
        },
    )
    assert decided.status_code in (302, 303), decided.get_data(as_text=True)
    refused = post_form(
        client,
        f"/meetings/{conference_id}/actions",
        {"description": "Till någon som slutat", "owner": str(gone)},
        form_url=f"/meetings/{conference_id}",
    )
    assert refused.status_code == 400
    with app.app_context():
        owners = sorted(a.owner_id for a in db.session.scalars(select(ActionItem)))
    assert owners == [nurse, nurse]


def test_defer_and_sign_ask_first_saying_what_will_happen(app, client, team):
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        all_present(conference_id, coordinator)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 0)
        db.session.commit()
        conference = db.session.get(Conference, conference_id)
        following = minutes.conferences.next_conference_in_series(conference)
        following_day = str(following.starts_at.day)
        chair_user = db.session.get(User, chair)
        email, recipients = chair_user.email, [db.session.get(User, u).name for u in (chair, *others)]
    login(client, email)
    live = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    assert f'href="/minutes/{conference_id}/sign"' in live  # a link to the question, not a signing button

    question = client.get(f"/meetings/{conference_id}/defer-remaining").get_data(as_text=True)
    assert "2 cases move to the meeting of" in question and following_day in question
    # The list changed since the page was shown (another case decided): nothing is deferred, it asks again.
    token = csrf_token(client, f"/meetings/{conference_id}/defer-remaining")
    again = client.post(f"/meetings/{conference_id}/defer-remaining", data={"csrf_token": token, "expected": "5"})
    assert again.status_code == 200 and "2 cases move" in again.get_data(as_text=True)
    with app.app_context():
        assert len(meetings.still_waiting(db.session.get(Conference, conference_id))) == 2
    done = client.post(f"/meetings/{conference_id}/defer-remaining", data={"csrf_token": token, "expected": "2"})
    assert done.status_code == 302

    question = client.get(f"/minutes/{conference_id}/sign").get_data(as_text=True)
    assert all(name in question for name in recipients)
    assert "1 referrer gets the outcome by email." in question
    assert "2 cases without a decision move to the meeting of" in question
    unconfirmed = client.post(f"/minutes/{conference_id}/sign", data={"csrf_token": token})
    assert unconfirmed.status_code == 200
    with app.app_context():
        assert minutes.current(db.session.get(Conference, conference_id)) is None
    signed = client.post(f"/minutes/{conference_id}/sign", data={"csrf_token": token, "confirmed": "1"})
    assert signed.status_code == 302
    with app.app_context():
        assert minutes.is_locked(db.session.get(Conference, conference_id))
