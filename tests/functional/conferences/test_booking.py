import threading
from datetime import datetime, time, timedelta, timezone
from email import message_from_bytes, policy

import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import func, select

from conference.conferences import services
from conference.conferences.models import Conference, ConferenceSeries, InvitationRole
from conference.extensions import db
from conference.notifications.models import EmailStatus, OutboundEmail
from conference.patients import services as patients
from conference.patients.identity import parse_identity_number
from conference.people.models import User
from conference.seed import demo_identity
from tests.conftest import csrf_token, post_form
from tests.functional.conferences.helpers import book_series, calendar_part, dispatch, events, next_weekday


def _patient(app, actor_id):
    with app.app_context():
        identity = parse_identity_number(demo_identity(datetime(2015, 4, 12).date(), "981"))
        patients.create_patient(
            identity=identity,
            given_name="Vilgot",
            family_name="Zetterqvist",
            sex="male",
            actor=db.session.get(User, actor_id),
        )
        db.session.commit()
        return identity


def test_booking_a_series_sends_each_participant_a_valid_invite(app, client, smtp, make_user, signed_in):
    coordinator_id = signed_in("coordinator")
    identity = _patient(app, coordinator_id)
    ids = [make_user("specialist", s)[0] for s in ("orthopaedic_surgeon", "clinical_geneticist", "physiotherapist")]
    with app.app_context():
        start = next_weekday(2).astimezone(services_tz())
    response = post_form(
        client,
        "/conferences/new",
        {
            "title": "MDT benförlängning",
            "kind": "series",
            "date": start.date().isoformat(),
            "start_time": "14:00",
            "end_time": "16:00",
            "repeat": "1",
            "location": "Konferensrum 3",
            "capacity": "8",
            "case_deadline_hours": "48",
            "chair": "0",
            "participants": [str(i) for i in ids],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert dispatch().sent == 3

    assert len(smtp.messages) == 3
    with app.app_context():
        emails = {db.session.get(User, i).email for i in ids}
    received = set()
    for raw in smtp.messages:
        text = raw.decode(errors="replace")
        assert identity.normalised not in text and identity.normalised[2:8] not in text and "Zetterqvist" not in text
        message = message_from_bytes(raw, policy=policy.default)
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
        method, cal = calendar_part(message)
        assert method == "REQUEST" == str(cal["METHOD"])
        (event,) = events(cal)
        assert str(event["RRULE"].to_ical().decode()).startswith("FREQ=WEEKLY")
        assert isinstance(event["ORGANIZER"], type(event["ORGANIZER"])) and str(event["ORGANIZER"]).startswith(
            "mailto:"
        )
        assert len([k for k in event.keys() if k == "ORGANIZER"]) == 1
        attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
        assert {str(a).removeprefix("mailto:") for a in attendees} == emails
        assert all(
            a.params["PARTSTAT"] == "NEEDS-ACTION" and a.params["RSVP"] == "TRUE" and a.params["CN"] for a in attendees
        )
        assert "DTSTAMP" in event and int(event["SEQUENCE"]) == 0
        (tz,) = cal.walk("VTIMEZONE")
        assert str(tz["TZID"]) == "Europe/Stockholm"
        parts = tz.walk("STANDARD") + tz.walk("DAYLIGHT")
        assert len(parts) == 2 and all("RRULE" in p and "RDATE" not in p for p in parts)
        assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
        received.add(message["To"])
    assert received == emails


def services_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Stockholm")


def _itips(smtp, start=0):
    return [calendar_part(m) for m in smtp.parsed()[start:]]


def test_reschedule_sends_request_with_same_uid_and_higher_sequence_then_cancel(app, smtp, make_user):
    ids = [make_user("specialist")[0], make_user("specialist", "endocrinologist")[0]]
    with app.app_context():
        series = book_series(ids)
        series_id = series.id
        dispatch()
    (method, cal), _ = _itips(smtp)
    uid = str(events(cal)[0]["UID"])

    # move one occurrence
    with app.app_context():
        occurrence = db.session.scalars(
            select(Conference).where(Conference.series_id == series_id).order_by(Conference.starts_at)
        ).all()[1]
        original = occurrence.recurrence_id
        services.reschedule_conference(
            occurrence,
            actor=db.session.get(User, ids[0]),
            starts_at=occurrence.starts_at + timedelta(days=1),
            ends_at=occurrence.ends_at + timedelta(days=1),
        )
        db.session.commit()
        occurrence_id = occurrence.id
        dispatch()
    moved = _itips(smtp, 2)
    assert len(moved) == 2
    for method, cal in moved:
        (event,) = events(cal)
        assert method == "REQUEST" and str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("RECURRENCE-ID").astimezone(timezone.utc) == original

    # move the whole series
    with app.app_context():
        series = db.session.get(ConferenceSeries, series_id)
        new_first = next_weekday(3, hour=13, weeks_ahead=2)
        services.reschedule_series(
            series,
            actor=db.session.get(User, ids[0]),
            first_start=new_first,
            duration_minutes=90,
            rrule=services.weekly_rrule(new_first),
        )
        db.session.commit()
        dispatch()
    for method, cal in _itips(smtp, 4):
        master = [e for e in events(cal) if "RRULE" in e][0]
        assert method == "REQUEST" and str(master["UID"]) == uid and int(master["SEQUENCE"]) == 1
        assert master.decoded("DTSTART").hour == 13

    # cancel one occurrence, then the series
    with app.app_context():
        occurrence = db.session.get(Conference, occurrence_id)
        services.cancel_conference(occurrence, actor=db.session.get(User, ids[0]))
        db.session.commit()
        dispatch()
        series = db.session.get(ConferenceSeries, series_id)
        services.cancel_series(series, actor=db.session.get(User, ids[0]))
        db.session.commit()
        dispatch()
    cancels = _itips(smtp, 6)
    assert len(cancels) == 4
    for method, cal in cancels:
        (event,) = events(cal)
        assert method == "CANCEL" == str(cal["METHOD"])
        assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) >= 2
    assert "RECURRENCE-ID" in events(cancels[0][1])[0] and "RECURRENCE-ID" not in events(cancels[-1][1])[0]


def test_single_meeting_reschedule_and_cancel(app, smtp, make_user):
    user_id, _ = make_user("specialist")
    with app.app_context():
        user = db.session.get(User, user_id)
        start = next_weekday(4, hour=9)
        conference = services.book_conference(
            actor=user,
            title="Extra MDT",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location="Rum 2",
            video_link=None,
            capacity=4,
            case_deadline_hours=24,
            chair=None,
            participants=[services.Participant(user, InvitationRole.required)],
        )
        db.session.commit()
        services.reschedule_conference(
            conference,
            actor=user,
            starts_at=start + timedelta(hours=2),
            ends_at=start + timedelta(hours=3),
            location="Rum 5",
        )
        db.session.commit()
        services.cancel_conference(conference, actor=user)
        db.session.commit()
        dispatch()
    sequence = [(m, int(events(c)[0]["SEQUENCE"]), str(events(c)[0]["UID"])) for m, c in _itips(smtp)]
    assert [(m, s) for m, s, _ in sequence] == [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)]
    assert len({uid for *_, uid in sequence}) == 1


def test_weekly_series_keeps_local_time_across_daylight_saving_change(app, make_user):
    user_id, _ = make_user("specialist")
    tz = services_tz()
    # The next change of daylight saving time at least three weeks after the app's clock (March or October).
    day = (app.extensions["clock"].now() + timedelta(days=21)).date()
    while (
        datetime.combine(day, time(12), tz).utcoffset()
        == datetime.combine(day + timedelta(days=1), time(12), tz).utcoffset()
    ):
        day += timedelta(days=1)
    change = day + timedelta(days=1)
    first_day = change - timedelta(days=14)
    first_day += timedelta(days=(2 - first_day.weekday()) % 7)  # a Wednesday 8-14 days before the change
    first = datetime.combine(first_day, time(14), tz).astimezone(timezone.utc)
    window_end = datetime.combine(change + timedelta(days=21), time(0))
    horizon = app.config["SERIES_HORIZON_DAYS"]
    app.config["SERIES_HORIZON_DAYS"] = 400  # the change may be up to seven months ahead
    try:
        with app.app_context():
            series = book_series([user_id], first_start=first)
            ics = services.series_calendar(series, None, rsvp=False)
            stored = [c.starts_at for c in series.conferences if c.starts_at < window_end.replace(tzinfo=timezone.utc)]
    finally:
        app.config["SERIES_HORIZON_DAYS"] = horizon
    occurrences = recurring_ical_events.of(Calendar.from_ical(ics)).between(
        datetime.combine(first_day - timedelta(days=1), time(0)), window_end
    )
    starts = [o.decoded("DTSTART") for o in occurrences]
    assert len(starts) == 5
    assert all(s.astimezone(tz).hour == 14 and s.astimezone(tz).minute == 0 for s in starts)
    assert {s.astimezone(timezone.utc).hour for s in starts} == {13, 12}
    assert [s.astimezone(timezone.utc) for s in starts] == stored


def test_smtp_down_keeps_emails_pending_then_delivers_each_exactly_once(app, smtp, make_user):
    ids = [make_user("specialist")[0] for _ in range(3)]
    smtp.stop()
    with app.app_context():
        book_series(ids)
        result = dispatch()
        assert result.sent == 0 and result.released == 3  # no relay: the batch is given back
        statuses = db.session.scalars(select(OutboundEmail.status)).all()
        assert statuses == [EmailStatus.pending] * 3
        assert db.session.scalar(select(func.max(OutboundEmail.attempts))) == 0  # an outage counts no attempt
    smtp.start()

    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(dispatch())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(r.sent for r in results) == 3
    with app.app_context():
        assert dispatch().claimed == 0
        assert db.session.scalars(select(OutboundEmail.status)).all() == [EmailStatus.sent] * 3
    recipients = sorted(to for _, tos in smtp.envelopes for to in tos)
    assert len(recipients) == 3 and len(set(recipients)) == 3


def test_email_gives_up_after_max_attempts_and_can_be_retried(app, client, smtp, make_user, signed_in):
    user_id = make_user("specialist")[0]
    smtp.reply = "550 Mailbox unavailable"  # the relay refuses the message itself
    with app.app_context():
        book_series([user_id])
        for _ in range(app.config["OUTBOX_MAX_ATTEMPTS"]):
            dispatch()
        email = db.session.scalar(select(OutboundEmail))
        assert email.status is EmailStatus.failed and email.attempts == app.config["OUTBOX_MAX_ATTEMPTS"]
        email_id = email.id
    signed_in("coordinator")
    page = client.get("/outbox/?status=failed").get_data(as_text=True)
    assert "Failed" in page and "Retry" in page
    assert post_form(client, f"/outbox/{email_id}/retry", {}, form_url="/outbox/").status_code == 302
    smtp.reply = "250 OK"
    with app.app_context():
        assert dispatch().sent == 1


def test_reminders_are_queued_once_per_conference_recipient_and_kind(app, make_user):
    coordinator_id = make_user("coordinator")[0]
    specialist_ids = [make_user("specialist")[0] for _ in range(2)]
    now = app.extensions["clock"].now()
    with app.app_context():
        users = [db.session.get(User, i) for i in specialist_ids]
        soon = services.book_conference(
            actor=users[0],
            title="MDT",
            starts_at=now + timedelta(hours=20),
            ends_at=now + timedelta(hours=22),
            location=None,
            video_link=None,
            capacity=5,
            case_deadline_hours=2,
            chair=None,
            participants=[services.Participant(u, InvitationRole.required) for u in users],
        )
        later = services.book_conference(
            actor=users[0],
            title="MDT",
            starts_at=now + timedelta(hours=40),
            ends_at=now + timedelta(hours=42),
            location=None,
            video_link=None,
            capacity=5,
            case_deadline_hours=24,
            chair=None,
            participants=[services.Participant(u, InvitationRole.required) for u in users],
        )
        db.session.commit()
        soon_id, later_id = soon.id, later.id
        counts = []
        for _ in range(3):
            counts.append(services.queue_reminders())
            db.session.commit()
        keys = db.session.scalars(select(OutboundEmail.dedupe_key).where(OutboundEmail.kind.like("reminder%"))).all()
        deadline_mail = db.session.scalar(
            select(OutboundEmail.text_body).where(OutboundEmail.kind == "reminder_deadline")
        )
    assert "0 of 5 places are taken; 0 ready cases are waiting." in deadline_mail
    # soon: deadline in 18 h (coordinator) + day-before (2 participants); later: deadline in 16 h (coordinator)
    assert counts == [4, 0, 0]
    assert sorted(keys) == sorted(
        [
            f"reminder:deadline:{soon_id}:{coordinator_id}",
            f"reminder:deadline:{later_id}:{coordinator_id}",
            f"reminder:day_before:{soon_id}:{specialist_ids[0]}",
            f"reminder:day_before:{soon_id}:{specialist_ids[1]}",
        ]
    )


def test_participant_outside_allowed_domains_gives_a_clear_error(app, client, make_user, signed_in):
    signed_in("coordinator")
    outsider, _ = make_user("specialist", email="konsult@gmail.com")
    with app.app_context():
        start = next_weekday(2).astimezone(services_tz())
    response = post_form(
        client,
        "/conferences/new",
        {
            "title": "MDT",
            "kind": "single",
            "date": start.date().isoformat(),
            "start_time": "14:00",
            "end_time": "16:00",
            "repeat": "1",
            "capacity": "8",
            "case_deadline_hours": "48",
            "chair": "0",
            "participants": [str(outsider)],
        },
    )
    assert response.status_code == 400
    assert "konsult@gmail.com is outside the allowed mail domains" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Conference.id))) == 0
        assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0


def test_bad_booking_input_gives_field_errors_and_keeps_values(client, signed_in):
    signed_in("coordinator")
    response = post_form(
        client,
        "/conferences/new",
        {
            "title": "MDT 150412-1234 Svensson",
            "kind": "series",
            "date": "2031-02-30",
            "start_time": "16:00",
            "end_time": "14:00",
            "repeat": "1",
            "capacity": "many",
            "case_deadline_hours": "48",
            "chair": "0",
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Not a valid date value" in body and "The end must be after the start." in body
    assert "Enter a whole number." in body
    assert 'value="MDT 150412-1234 Svensson"' in body
    response = post_form(
        client,
        "/conferences/new",
        {
            "title": "MDT 150412-1234 Svensson",
            "kind": "series",
            "date": "2031-02-12",
            "start_time": "14:00",
            "end_time": "16:00",
            "repeat": "1",
            "capacity": "8",
            "case_deadline_hours": "48",
            "chair": "0",
        },
    )
    assert response.status_code == 400
    assert "must not identify a patient" in response.get_data(as_text=True)


def test_personal_feed_lists_my_conferences_and_can_be_revoked(app, client, make_user, signed_in):
    me = signed_in("specialist")
    other = make_user("specialist")[0]
    with app.app_context():
        book_series([me], title="Min serie")
        book_series([other], title="Annan serie")
    post_form(client, "/conferences/calendar-feed", {"action": "create"})
    with app.app_context():
        token = db.session.get(User, me).calendar_token
    anonymous = app.test_client()
    response = anonymous.get(f"/conferences/feed/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    assert "METHOD" not in cal
    assert {str(e["SUMMARY"]) for e in events(cal)} == {"Min serie"}
    post_form(client, "/conferences/calendar-feed", {"action": "revoke"})
    assert anonymous.get(f"/conferences/feed/{token}.ics").status_code == 404
    assert anonymous.get("/conferences/feed/guess.ics").status_code == 404


def test_conference_page_shows_participants_and_answers(app, client, make_user, signed_in):
    me = signed_in("specialist")
    with app.app_context():
        series = book_series([me])
        conference_id = series.conferences[0].id
    page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert "No answer yet" in page and "Konferensrum Ortopedi 3" in page
    post_form(
        client,
        f"/conferences/{conference_id}/respond",
        {"response": "accepted"},
        form_url=f"/conferences/{conference_id}",
    )
    assert "Attending" in client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    ics = client.get(f"/conferences/{conference_id}.ics")
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.data


def test_moving_a_meeting_someone_else_just_moved_is_refused_with_input_kept(app, client, make_user, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():
        conference_id = book_series([coordinator]).conferences[0].id
    url = f"/conferences/{conference_id}/reschedule"
    page = client.get(url).get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    token = csrf_token(client, url)
    base = {"start_time": "15:00", "end_time": "16:00", "version": version, "csrf_token": token}
    day = (app.extensions["clock"].now() + timedelta(days=20)).date().isoformat()
    assert client.post(url, data={**base, "date": day, "location": "Rum A"}).status_code == 302
    stale = client.post(url, data={**base, "date": day, "location": "Rum B"})
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "Someone else changed this meeting" in body and 'value="Rum B"' in body
    assert 'id="stored"' in body and "Rum A" in body.split('id="stored"')[1]  # what is saved now, beside
    with app.app_context():
        assert db.session.get(Conference, conference_id).location == "Rum A"


def test_inviting_one_more_participant_sends_them_the_request(app, client, smtp, make_user, signed_in):
    signed_in("coordinator")
    first = make_user("specialist")[0]
    newcomer, newcomer_email = make_user("specialist", "occupational_therapist")
    with app.app_context():
        series = book_series([first])
        series_id, conference_id = series.id, series.conferences[0].id
        dispatch()
    before = len(smtp.messages)
    response = post_form(
        client,
        f"/conferences/series/{series_id}/invite",
        {"user": newcomer, "role": "optional"},
        form_url=f"/conferences/series/{series_id}",
    )
    assert response.status_code == 302
    again = post_form(
        client,
        f"/conferences/series/{series_id}/invite",
        {"user": newcomer, "role": "optional"},
        form_url=f"/conferences/series/{series_id}",
    )
    assert again.status_code in (302, 303)  # the newcomer is no longer offered: nothing happens twice
    with app.app_context():
        dispatch()
        conference = db.session.get(Conference, conference_id)
        assert newcomer in {i.user_id for i in conference.invitations}
    new = smtp.parsed()[before:]
    assert [m["To"] for m in new] == [newcomer_email]
    method, cal = calendar_part(new[0])
    (event,) = events(cal)
    assert method == "REQUEST" and int(event["SEQUENCE"]) == 0
    roles = {str(a).removeprefix("mailto:"): a.params["ROLE"] for a in event["ATTENDEE"]}
    assert roles[newcomer_email] == "OPT-PARTICIPANT"
