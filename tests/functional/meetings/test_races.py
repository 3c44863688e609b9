"""Two people save the same thing at the same moment, ten rounds for each editable object: every round ends with
exactly one save and one 409 that keeps the loser's input and shows what is saved now. Real threads, one real
database (SQLite, or PostgreSQL in CI), the app's own optimistic lock."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from conference.agenda.models import AgendaItem
from conference.conferences.models import Conference, ConferenceSeries
from conference.extensions import db
from conference.meetings import services as meetings
from conference.meetings.models import Attendance
from conference.people.models import User
from tests.conftest import csrf_token, login
from tests.functional.conferences.helpers import book_series
from tests.functional.meetings.helpers import all_present, meeting_with_cases, start_meeting

ROUNDS = 10


@pytest.fixture
def recorders(app, make_user):
    """The chair and a coordinator, each with their own signed-in client, on a started meeting of 10 cases."""
    coordinator_id, coordinator_email = make_user("coordinator")
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon")
    physio = make_user("specialist", "physiotherapist")[0]
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator_id, [chair_id, physio], ROUNDS, chair_id=chair_id)
        all_present(conference_id, coordinator_id)
        db.session.commit()
    clients = []
    for email in (chair_email, coordinator_email):
        client = app.test_client()
        login(client, email)
        clients.append(client)
    return conference_id, item_ids, clients, (chair_id, physio)


def race(first, second):
    """Run two requests at the same moment; returns their responses in order."""
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def one_winner(responses) -> tuple[int, object]:
    """(index of the save that went through, the 409 response)."""
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [302, 409], statuses
    winner = statuses.index(302)
    return winner, responses[1 - winner]


def _decision_post(client, item_id, token, version, rationale, **extra):
    data = {
        "csrf_token": token,
        "version": str(version),
        "treatment": "insoles",
        "rationale": rationale,
        "patient_response": "accepted",
        **extra,
    }
    return lambda: client.post(f"/meetings/item/{item_id}", data=data)


def test_first_and_later_decisions_never_overwrite_silently(app, recorders):
    conference_id, item_ids, clients, _people = recorders
    tokens = [csrf_token(c, f"/meetings/{conference_id}") for c in clients]
    for round_ in range(ROUNDS):  # the first save of a decision: both pages showed "nothing saved" (version 0)
        item_id = item_ids[round_]
        typed = [f"Första {round_} av A", f"Första {round_} av B"]
        responses = race(*(_decision_post(c, item_id, t, 0, r) for c, t, r in zip(clients, tokens, typed)))
        winner, loser = one_winner(responses)
        body = loser.get_data(as_text=True)
        assert typed[1 - winner] in body and typed[winner] in body.split('id="stored-decision"')[1]
        with app.app_context():
            assert meetings.decision_for_item(item_id).rationale == typed[winner]
    item_id = item_ids[0]
    for round_ in range(ROUNDS):  # a later save, both from the same version
        with app.app_context():
            version = meetings.decision_for_item(item_id).version
        typed = [f"Ändring {round_} av A", f"Ändring {round_} av B"]
        responses = race(*(_decision_post(c, item_id, t, version, r) for c, t, r in zip(clients, tokens, typed)))
        winner, loser = one_winner(responses)
        assert typed[1 - winner] in loser.get_data(as_text=True)
        with app.app_context():
            assert meetings.decision_for_item(item_id).rationale == typed[winner]


def test_a_rehabilitation_plan_change_alone_is_protected_too(app, recorders):
    conference_id, item_ids, clients, _people = recorders
    tokens = [csrf_token(c, f"/meetings/{conference_id}") for c in clients]
    item_id = item_ids[0]
    assert _decision_post(clients[0], item_id, tokens[0], 0, "Plan")().status_code == 302
    for round_ in range(ROUNDS):
        with app.app_context():
            version = meetings.decision_for_item(item_id).version
        targets = [str(30 + round_), str(60 + round_)]
        calls = [
            _decision_post(c, item_id, t, version, "Plan", weight_bearing="partial", walking_aids=f"Kryckor {target}")
            for c, t, target in zip(clients, tokens, targets)
        ]
        winner, loser = one_winner(race(*calls))
        assert f"Kryckor {targets[1 - winner]}" in loser.get_data(as_text=True)
        with app.app_context():
            assert meetings.decision_for_item(item_id).rehab_plan.walking_aids == f"Kryckor {targets[winner]}"


def test_attendance_has_one_version(app, recorders):
    conference_id, _items, clients, (chair_id, physio) = recorders
    tokens = [csrf_token(c, f"/meetings/{conference_id}") for c in clients]
    choices = ["present", "remote"]
    for round_ in range(ROUNDS):
        with app.app_context():
            version = meetings.meeting_record(db.session.get(Conference, conference_id)).attendance_version
        calls = [
            (
                lambda c=c, t=t, status=status: c.post(
                    f"/meetings/{conference_id}/attendance",
                    data={"csrf_token": t, "version": str(version), f"attendance-{physio}": status},
                )
            )
            for c, t, status in zip(clients, tokens, choices)
        ]
        winner, loser = one_winner(race(*calls))
        body = loser.get_data(as_text=True)
        saved_label = {"present": "Present", "remote": "Remote"}[choices[winner]]
        assert f"saved: {saved_label}" in body
        typed = re.search(
            rf'name="attendance-{physio}" value="{choices[1 - winner]}" aria-label="[^"]*"( checked)?', body
        )
        assert typed and typed.group(1), "the loser's own choice stays selected"
        with app.app_context():
            row = db.session.scalar(
                select(Attendance).where(Attendance.conference_id == conference_id, Attendance.user_id == physio)
            )
            assert row.status.value == choices[winner]


def test_the_case_list_minutes_per_case(app, recorders):
    conference_id, item_ids, clients, _people = recorders
    with app.app_context():  # the case list is edited before the meeting
        app.extensions["clock"].reset()
    coordinator_client = clients[1]
    second = app.test_client()
    with app.app_context():
        email = db.session.scalar(select(User.email).where(User.role == "coordinator"))
    login(second, email)
    pair = [coordinator_client, second]
    tokens = [csrf_token(c, f"/conferences/{conference_id}") for c in pair]
    item_id = item_ids[3]
    for round_ in range(ROUNDS):
        with app.app_context():
            version = db.session.get(AgendaItem, item_id).version
        values = [str(10 + round_), str(40 + round_)]
        calls = [
            (
                lambda c=c, t=t, v=v: c.post(
                    f"/cases/agenda/item/{item_id}/minutes",
                    data={"csrf_token": t, "version": str(version), "minutes": v},
                )
            )
            for c, t, v in zip(pair, tokens, values)
        ]
        winner, loser = one_winner(race(*calls))
        body = loser.get_data(as_text=True)
        assert f'value="{values[1 - winner]}"' in body and f"saved: {values[winner]}" in body
        with app.app_context():
            assert db.session.get(AgendaItem, item_id).minutes_allotted == int(values[winner])


def test_moving_a_meeting_and_a_series(app, make_user):
    ids = [make_user("coordinator") for _ in range(2)]
    clients = []
    for _id, email in ids:
        client = app.test_client()
        login(client, email)
        clients.append(client)
    with app.app_context():
        series = book_series([ids[0][0]], weeks=1)
        conference_id, series_id = series.conferences[0].id, series.id
        base_day = series.conferences[0].starts_at.date()
    tokens = [csrf_token(c, f"/conferences/{conference_id}/reschedule") for c in clients]
    for round_ in range(ROUNDS):
        with app.app_context():
            version = db.session.get(Conference, conference_id).version
        rooms = [f"Rum A{round_}", f"Rum B{round_}"]
        day = (base_day + timedelta(days=round_ % 3)).isoformat()
        calls = [
            (
                lambda c=c, t=t, room=room: c.post(
                    f"/conferences/{conference_id}/reschedule",
                    data={
                        "csrf_token": t,
                        "version": str(version),
                        "date": day,
                        "start_time": "15:00",
                        "end_time": "16:00",
                        "location": room,
                    },
                )
            )
            for c, t, room in zip(clients, tokens, rooms)
        ]
        winner, loser = one_winner(race(*calls))
        body = loser.get_data(as_text=True)
        assert f'value="{rooms[1 - winner]}"' in body and rooms[winner] in body.split('id="stored"')[1]
        with app.app_context():
            assert db.session.get(Conference, conference_id).location == rooms[winner]
    for round_ in range(ROUNDS):
        with app.app_context():
            version = db.session.get(ConferenceSeries, series_id).version
        times = ["13:00", "15:30"]
        calls = [
            (
                lambda c=c, t=t, start=start: c.post(
                    f"/conferences/series/{series_id}/reschedule",
                    data={
                        "csrf_token": t,
                        "version": str(version),
                        "date": (base_day + timedelta(days=7)).isoformat(),
                        "start_time": start,
                        "end_time": "17:00",
                        "repeat": "1",
                    },
                )
            )
            for c, t, start in zip(clients, tokens, times)
        ]
        winner, loser = one_winner(race(*calls))
        assert f'value="{times[1 - winner]}"' in loser.get_data(as_text=True)
        assert 'id="stored"' in loser.get_data(as_text=True)


def test_the_first_attendance_saves_of_a_meeting_meet_at_its_version(app, make_user):
    """Before anything is recorded the meeting has no record yet: two first saves at the same moment used to race to
    create it, and the loser got "Already there" with its choices gone instead of the list as saved."""
    coordinator_id, coordinator_email = make_user("coordinator")
    chair_id, chair_email = make_user("specialist", "orthopaedic_surgeon")
    physio = make_user("specialist", "physiotherapist")[0]
    with app.app_context():
        first_id, _items = meeting_with_cases(coordinator_id, [chair_id, physio], 1, chair_id=chair_id)
        series_id = db.session.get(Conference, first_id).series_id
        meeting_ids = db.session.scalars(
            select(Conference.id).where(Conference.series_id == series_id).order_by(Conference.starts_at).limit(4)
        ).all()
    clients = []
    for email in (chair_email, coordinator_email):
        client = app.test_client()
        login(client, email)
        clients.append(client)
    choices = ["present", "remote"]
    for conference_id in meeting_ids:
        with app.app_context():
            start_meeting(db.session.get(Conference, conference_id))
        # The session's token from a page that is not the meeting's (which, before, created its record).
        tokens = [csrf_token(c, f"/conferences/{conference_id}") for c in clients]
        calls = [
            (
                lambda c=c, t=t, status=status, conference_id=conference_id: c.post(
                    f"/meetings/{conference_id}/attendance",
                    data={"csrf_token": t, "version": "0", f"attendance-{physio}": status},
                )
            )
            for c, t, status in zip(clients, tokens, choices)
        ]
        winner, loser = one_winner(race(*calls))
        body = loser.get_data(as_text=True)
        assert f"saved: {({'present': 'Present', 'remote': 'Remote'})[choices[winner]]}" in body
        with app.app_context():
            row = db.session.scalar(
                select(Attendance).where(Attendance.conference_id == conference_id, Attendance.user_id == physio)
            )
            assert row.status.value == choices[winner]
