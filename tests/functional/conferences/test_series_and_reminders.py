"""Issue 21, booking: reminders say the right day, cancelling offers only what it can do, a moved series keeps its
end date, the series page shows its rule and every meeting, and a signed meeting is in the archive at once."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from conference.conferences import services
from conference.conferences.models import Conference, ConferenceSeries, ConferenceStatus, InvitationRole
from conference.db import local_today, utcnow
from conference.extensions import db
from conference.notifications.models import OutboundEmail
from conference.people.models import User
from tests.conftest import post_form
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series, next_weekday

TZ = ZoneInfo("Europe/Stockholm")


def _book_single(user_id, start):
    user = db.session.get(User, user_id)
    conference = services.book_conference(
        actor=user,
        title="MDT",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        location=None,
        video_link=None,
        capacity=3,
        case_deadline_hours=1,
        chair=None,
        participants=[services.Participant(user, InvitationRole.required)],
    )
    db.session.commit()
    return conference


def _book_until(user_id, first, end):
    """A weekly series with a last date."""
    actor = db.session.get(User, user_id)
    return services.book_series(
        actor=actor,
        title="MDT",
        first_start=first,
        duration_minutes=60,
        rrule=services.weekly_rrule(first, 1, end),
        location=None,
        video_link=None,
        capacity=8,
        case_deadline_hours=48,
        chair=None,
        participants=[services.Participant(actor, InvitationRole.required)],
    )


def test_a_meeting_later_today_gets_a_today_reminder_not_tomorrow(app, make_user, clock):
    user_id, _email = make_user("specialist")
    with app.app_context():
        morning = datetime.combine(local_today() + timedelta(days=9), time(8, 0), tzinfo=TZ).astimezone(UTC)
        clock.travel_to(morning)
        today = _book_single(user_id, morning + timedelta(hours=6))  # 14:00 the same day
        tomorrow = _book_single(user_id, morning + timedelta(hours=23))  # 07:00 the next day
        services.queue_reminders()
        db.session.commit()
        subjects = {
            e.conference_id: e.subject
            for e in db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "reminder_day_before"))
        }
        bodies = {
            e.conference_id: e.text_body
            for e in db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "reminder_day_before"))
        }
    assert subjects[today.id].startswith("Today:"), subjects[today.id]
    assert "tomorrow" not in bodies[today.id].lower()
    assert subjects[tomorrow.id].startswith("Tomorrow:"), subjects[tomorrow.id]


def test_cancel_offers_the_next_meeting_only_when_the_series_has_one(app, client, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():
        series = book_series([coordinator], weeks=1)
        ids = [c.id for c in series.conferences]
        actor = db.session.get(User, coordinator)
        last = db.session.get(Conference, ids[-1])
        first = db.session.get(Conference, ids[0])
        for n, conference in enumerate((first, last)):
            case = make_ready_case(coordinator, 10 + n)
            from conference.cases import services as cases

            cases.list_case(conference, case, actor)
        db.session.commit()
    last_page = client.get(f"/conferences/{ids[-1]}").get_data(as_text=True)
    assert 'value="next"' not in last_page  # no next meeting: not offered
    assert 'value="queue"' in last_page
    first_page = client.get(f"/conferences/{ids[0]}").get_data(as_text=True)
    assert 'value="next"' in first_page


def test_moving_a_series_keeps_its_end_date(app, client, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():  # the app's clock
        first = next_weekday(2)
        end = (first + timedelta(weeks=6)).astimezone(TZ).date()
        series = _book_until(coordinator, first, end)
        db.session.commit()
        series_id, version = series.id, series.version
    form = client.get(f"/conferences/series/{series_id}/reschedule").get_data(as_text=True)
    assert re.search(r'name="until"[^>]*value="' + end.isoformat() + '"', form), "the end date is not offered"
    new_day = (first + timedelta(days=1)).astimezone(TZ).date()
    response = post_form(
        client,
        f"/conferences/series/{series_id}/reschedule",
        {
            "date": new_day.isoformat(),
            "start_time": "13:00",
            "end_time": "14:00",
            "repeat": "1",
            "until": end.isoformat(),
            "version": str(version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        series = db.session.get(ConferenceSeries, series_id)
        assert "UNTIL=" in series.rrule
        services.extend_all_series()
        last = max(c.starts_at for c in series.conferences if c.status is ConferenceStatus.scheduled)
        assert last.astimezone(TZ).date() <= end
        invite = db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.ics.is_not(None)).order_by(OutboundEmail.id.desc())
        ).first()
        calendar = Calendar.from_ical(invite.ics)
        rules = [e.get("RRULE") for e in calendar.walk("VEVENT") if e.get("RRULE")]
        assert rules and all("UNTIL" in r for r in rules)
    page = client.get(f"/conferences/series/{series_id}").get_data(as_text=True)
    assert "Every week" in page
    assert end.strftime("%-d %b %Y") in page  # en-GB, not "Jan 27, 2027"


def test_the_series_page_lists_meetings_up_to_its_end(app, client, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():  # the app's clock
        first = next_weekday(2)
        end = (first + timedelta(weeks=40)).astimezone(TZ).date()  # beyond the 182-day horizon
        series = _book_until(coordinator, first, end)
        db.session.commit()
        series_id = series.id
    page = client.get(f"/conferences/series/{series_id}").get_data(as_text=True)
    meetings = page.split("<h2>Meetings</h2>")[1].split("</table>")[0]
    assert meetings.count("<tr>") == 1 + 41  # the header and every meeting up to the end date


def test_a_meeting_signed_today_is_in_the_archive_before_its_booked_end(app, client, signed_in, make_user):
    from conference.minutes import services as minutes
    from tests.functional.meetings.helpers import all_present, decide, meeting_with_cases

    coordinator = signed_in("coordinator")
    chair = make_user("specialist")[0]
    with app.app_context():
        conference_id, item_ids = meeting_with_cases(coordinator, [coordinator, chair], 1, chair_id=chair)
        from conference.agenda.models import AgendaItem

        all_present(conference_id, chair)
        decide(db.session.get(AgendaItem, item_ids[0]), db.session.get(User, chair), 0)
        minutes.sign(db.session.get(Conference, conference_id), db.session.get(User, chair), notify=False)
        db.session.commit()
        conference = db.session.get(Conference, conference_id)
        assert conference.ends_at > utcnow()  # signed within its booked time
    page = client.get("/conferences/archive").get_data(as_text=True)
    assert f'/conferences/{conference_id}"' in page
