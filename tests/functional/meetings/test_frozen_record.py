"""Signed means frozen: after the chair signs, no route changes what the minutes show, the signed document
downloads byte-identical, a draft is built without writing, and an amendment makes version 2 with version 1 kept.
Recording opens when the meeting starts."""

from datetime import timedelta

from sqlalchemy import func, select

from conference.agenda.models import AgendaItem
from conference.audit.models import AuditEvent
from conference.conferences import services as conferences
from conference.conferences.models import Conference
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import ActionItem, ActionStatus, Attendance, Decision
from conference.minutes import services as minutes
from conference.minutes.models import Minutes
from conference.people.models import User
from tests.conftest import csrf_token, login, post_form
from tests.functional.meetings.helpers import all_present, days_after, decide, meeting_with_cases
from tests.functional.meetings.test_meetings import team  # noqa: F401 (fixture)


def _snapshot(conference_id: int) -> dict:
    """Everything the minutes show, as plain values."""
    conference = db.session.get(Conference, conference_id)
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.conference_id == conference_id).order_by(AgendaItem.id)
    ).all()
    decisions = db.session.scalars(select(Decision).where(Decision.conference_id == conference_id)).all()
    return {
        "items": [(i.id, i.position, i.minutes_allotted, i.outcome.value, i.version) for i in items],
        "decisions": [(d.id, d.treatment.value, d.rationale, d.version) for d in decisions],
        "plans": [
            (d.id, d.rehab_plan.target_mm, d.rehab_plan.rate_mm_per_day) for d in decisions if d.rehab_plan is not None
        ],
        "attendance": sorted(
            (a.user_id, a.status.value)
            for a in db.session.scalars(select(Attendance).where(Attendance.conference_id == conference_id))
        ),
        "actions": sorted(
            (a.id, a.description, a.owner_id)
            for a in db.session.scalars(select(ActionItem).where(ActionItem.conference_id == conference_id))
        ),
        "answers": sorted((i.user_id, i.response.value) for i in conference.invitations),
        "status": conference.status.value,
        "minutes": [(m.version, m.status.value, m.document_sha256) for m in minutes.versions(conference)],
    }


def test_no_route_changes_a_signed_meeting_and_amendments_keep_version_one(app, client, team):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 3, chair_id=chair)
        all_present(conference_id, coordinator)
        actor = db.session.get(User, chair)
        decide(db.session.get(AgendaItem, item_ids[0]), actor, 0, with_plan=True)
        decide(db.session.get(AgendaItem, item_ids[1]), actor, 1)
        db.session.commit()
        minutes.sign(db.session.get(Conference, conference_id), actor)
        db.session.commit()
        before = _snapshot(conference_id)
        action_id = db.session.scalars(select(ActionItem.id).where(ActionItem.conference_id == conference_id)).first()
        decision_version = meetings.decision_for_item(item_ids[0]).version
        chair_email, owner_email = actor.email, actor.email
        coordinator_email = db.session.get(User, coordinator).email

    login(client, chair_email)
    signed_v1 = client.get(f"/minutes/{conference_id}/v1.docx").data
    token = csrf_token(client, f"/meetings/{conference_id}")
    attempts = [
        (f"/meetings/{conference_id}/actions", {"description": "Efteråt", "owner": str(chair)}),
        (f"/meetings/{conference_id}/attendance", {"version": "1", f"attendance-{chair}": "absent"}),
        (
            f"/meetings/item/{item_ids[0]}",
            {
                "version": str(decision_version),
                "treatment": "insoles",
                "rationale": "Ändrat",
                "patient_response": "accepted",
            },
        ),
        (
            f"/meetings/item/{item_ids[0]}",  # a plan-only change
            {
                "version": str(decision_version),
                "treatment": "no_treatment",
                "rationale": "Motivering för fall 0",
                "patient_response": "accepted",
                "weight_bearing": "full",
            },
        ),
        (
            f"/meetings/item/{item_ids[2]}",
            {"version": "0", "treatment": "insoles", "rationale": "Nytt", "patient_response": "accepted"},
        ),
        (f"/meetings/item/{item_ids[2]}/defer", {}),
        (f"/conferences/{conference_id}/respond", {"response": "declined"}),
        (f"/minutes/{conference_id}/sign", {"confirmed": "1"}),
    ]
    for url, data in attempts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code in (303, 400, 403, 409), (url, response.status_code)
    draft = client.get(f"/minutes/{conference_id}/draft.docx")
    assert draft.status_code == 302 and draft.headers["Location"].endswith(f"/minutes/{conference_id}/v1.docx")

    client = app.test_client()
    login(client, coordinator_email)  # the case list belongs to the coordinators
    token = csrf_token(client, f"/conferences/{conference_id}")
    for url, data in (
        (f"/cases/agenda/item/{item_ids[2]}/minutes", {"minutes": "30", "version": "1"}),
        (f"/cases/agenda/item/{item_ids[1]}/move/down", {"version": "1"}),
        (f"/cases/agenda/item/{item_ids[2]}/unlist", {"version": "1"}),
        (f"/conferences/{conference_id}/cancel", {"cases_to": "queue"}),
        (f"/cases/agenda/{conference_id}/roll-over", {}),
        (f"/cases/agenda/{conference_id}/list", {"case_id": "1", "minutes": "5", "override_reason": "Sent"}),
        (f"/conferences/{conference_id}/invite", {"user": str(others[0]), "role": "optional"}),
        (
            f"/conferences/{conference_id}/reschedule",
            {"date": "2099-01-01", "start_time": "10:00", "end_time": "11:00", "version": "1"},
        ),
    ):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code in (302, 303, 400, 409), (url, response.status_code)  # nothing changes: below

    # Closing an action is follow-up work: it goes through, and the signed document does not change.
    client = app.test_client()
    login(client, owner_email)
    assert post_form(client, f"/meetings/actions/{action_id}/done", {}, form_url="/meetings/actions").status_code == 302
    with app.app_context():
        after = _snapshot(conference_id)
        assert after == before
        action = db.session.get(ActionItem, action_id)
        assert action.status is ActionStatus.done and action.done_by_id == chair
    assert client.get(f"/minutes/{conference_id}/v1.docx").data == signed_v1

    # An amendment opens version 2; signing it leaves version 1 byte-identical.
    assert (
        post_form(
            client,
            f"/minutes/{conference_id}/amend",
            {"reason": "Fel motivering"},
            form_url=f"/meetings/{conference_id}",
        ).status_code
        == 302
    )
    changed = post_form(
        client,
        f"/meetings/item/{item_ids[0]}",
        {
            "version": str(decision_version),
            "treatment": "insoles",
            "rationale": "Ändrat genom tillägg",
            "patient_response": "accepted",
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)
    assert (
        post_form(
            client, f"/minutes/{conference_id}/sign", {"confirmed": "1"}, form_url=f"/meetings/{conference_id}"
        ).status_code
        == 302
    )
    assert client.get(f"/minutes/{conference_id}/v1.docx").data == signed_v1
    v2 = client.get(f"/minutes/{conference_id}/v2.docx")
    assert v2.status_code == 200 and v2.data != signed_v1


def test_a_draft_is_built_without_writing(app, client, team):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        email = db.session.get(User, others[0]).email  # any clinician, not the chair
    login(client, email)
    with app.app_context():
        before = db.session.scalar(select(func.count(Minutes.id)))
    response = client.get(f"/minutes/{conference_id}/draft.docx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    with app.app_context():
        assert db.session.scalar(select(func.count(Minutes.id))) == before == 0


def test_recording_opens_at_the_meetings_start(app, client, team, clock):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        conference = db.session.get(Conference, conference_id)
        starts_at = conference.starts_at
        email = db.session.get(User, chair).email
    clock.travel_to(starts_at - timedelta(minutes=app.config["RECORDING_OPENS_MINUTES_BEFORE"] + 5))
    login(client, email)
    refused = post_form(
        client,
        f"/meetings/item/{item_ids[0]}",
        {"version": "0", "treatment": "insoles", "rationale": "För tidigt", "patient_response": "accepted"},
    )
    assert refused.status_code == 409 and "Recording opens when the meeting starts" in refused.get_data(as_text=True)
    assert "För tidigt" in refused.get_data(as_text=True)  # the typed input is kept
    early_sign = post_form(
        client, f"/minutes/{conference_id}/sign", {"confirmed": "1"}, form_url=f"/meetings/{conference_id}"
    )
    assert early_sign.status_code == 303
    with app.app_context():
        assert meetings.decision_for_item(item_ids[0]) is None
        assert not minutes.is_locked(db.session.get(Conference, conference_id))
    clock.travel_to(starts_at - timedelta(minutes=app.config["RECORDING_OPENS_MINUTES_BEFORE"] - 1))
    opened = post_form(
        client,
        f"/meetings/item/{item_ids[0]}",
        {"version": "0", "treatment": "insoles", "rationale": "I tid", "patient_response": "accepted"},
    )
    assert opened.status_code == 302


def test_a_meeting_cannot_be_moved_into_the_past(app, client, team, clock):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, _ = meeting_with_cases(coordinator, [chair, *others], 0, chair_id=chair)
        email = db.session.get(User, coordinator).email
        yesterday = (clock.now() - timedelta(days=1)).date()
    login(client, email)
    url = f"/conferences/{conference_id}/reschedule"
    page = client.get(url).get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    response = post_form(
        client, url, {"date": yesterday.isoformat(), "start_time": "14:00", "end_time": "15:00", "version": version}
    )
    assert response.status_code == 400 and "cannot be moved into the past" in response.get_data(as_text=True)


def test_cancelling_a_meeting_with_listed_cases_asks_where_they_go(app, client, team, clock):  # noqa: F811
    from conference.cases.models import CaseStatus

    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 2, chair_id=chair)
        email = db.session.get(User, coordinator).email
        series_id = db.session.get(Conference, conference_id).series_id
    clock.reset()  # back before the meeting
    login(client, email)
    asked = post_form(client, f"/conferences/{conference_id}/cancel", {"reason": "Sjukdom"})
    assert asked.status_code == 400
    body = asked.get_data(as_text=True)
    assert "2 listed cases need somewhere to go" in body and "Sjukdom" in body
    with app.app_context():
        assert db.session.get(Conference, conference_id).status.value == "scheduled"
    done = post_form(client, f"/conferences/{conference_id}/cancel", {"reason": "Sjukdom", "cases_to": "next"})
    assert done.status_code == 302
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        following = conferences.next_conference_in_series(conference)
        moved = db.session.scalars(select(AgendaItem.case_id).where(AgendaItem.conference_id == following.id)).all()
        cases = {db.session.get(AgendaItem, i).case_id for i in item_ids}
        assert set(moved) == cases and conference.status.value == "cancelled"
        assert all(db.session.get(AgendaItem, i).case.status is CaseStatus.listed for i in item_ids)

    # The whole series: the page states the count, and a stale count is refused.
    page = client.get(f"/conferences/series/{series_id}").get_data(as_text=True)
    with app.app_context():
        count = len(conferences.upcoming_in_series(db.session.get(Conference, following.id).series))
    assert f"This cancels {count} upcoming meetings" in page
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    stale = post_form(client, f"/conferences/series/{series_id}/cancel", {"count": str(count + 1), "version": version})
    assert stale.status_code == 409
    confirmed = post_form(client, f"/conferences/series/{series_id}/cancel", {"count": str(count), "version": version})
    assert confirmed.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "conference.cancel")) == 1
        assert all(db.session.get(AgendaItem, i).case.status is CaseStatus.ready for i in item_ids)


def test_follow_up_dates_are_relative_to_the_meeting(app, team):  # noqa: F811
    coordinator, chair, others = team
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [chair, *others], 1, chair_id=chair)
        all_present(conference_id, coordinator)
        decision = decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 0)
        assert decision.follow_up_on == days_after(db.session.get(Conference, conference_id), 180)
