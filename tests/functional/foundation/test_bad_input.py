"""Input the fuzzer and the testers found: a series with a last date, an invalid answer, ids past 2^63, and a
whitespace-only note. Each is a clear answer, never a 500, and what was typed comes back."""

from datetime import timedelta

from icalendar import Calendar

from conference.extensions import db
from conference.people.models import User
from tests.conftest import post_form
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series, next_weekday


def test_a_series_with_a_last_date_is_booked_and_its_invite_ends_there(app, client, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():
        start = next_weekday(2).date()
    response = post_form(
        client,
        "/conferences/new",
        {
            "title": "MDT",
            "kind": "series",
            "date": start.isoformat(),
            "start_time": "14:00",
            "end_time": "15:00",
            "repeat": "1",
            "until": (start + timedelta(days=28)).isoformat(),
            "capacity": "8",
            "case_deadline_hours": "48",
            "chair": "0",
            "participants": [str(coordinator)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    ics = Calendar.from_ical(client.get(response.headers["Location"] + ".ics").data)
    rule = next(iter(ics.walk("VEVENT")))["RRULE"]
    assert rule["UNTIL"][0].tzinfo is not None  # UTC, as RFC 5545 wants with a TZID start
    with app.app_context():
        from conference.conferences.models import ConferenceSeries

        series = db.session.get(ConferenceSeries, int(response.headers["Location"].rsplit("/", 1)[1]))
        assert len(series.conferences) == 5  # weekly, first and last date included


def test_an_invalid_answer_and_huge_ids_are_clear_refusals(app, client, signed_in):
    user = signed_in("specialist")
    with app.app_context():
        conference_id = book_series([user]).conferences[0].id
    refused = post_form(
        client,
        f"/conferences/{conference_id}/respond",
        {"response": "kanske-inte"},
        form_url=f"/conferences/{conference_id}",
    )
    assert refused.status_code == 400 and "Choose attending, maybe or not attending." in refused.get_data(as_text=True)
    for url in (
        "/cases/9223372036854775808",
        "/conferences/18446744073709551616",
        "/meetings/item/99999999999999999999",
    ):
        assert client.get(url).status_code == 404


def test_a_whitespace_note_and_a_bad_status_keep_what_was_typed(app, client, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():
        case = make_ready_case(coordinator, 3)
        db.session.commit()
        case_id = case.id
    note = post_form(client, f"/cases/{case_id}/notes", {"text": "   "}, form_url=f"/cases/{case_id}")
    assert note.status_code == 400 and "Write the note first." in note.get_data(as_text=True)
    status = post_form(
        client,
        f"/cases/{case_id}/status",
        {"status": "decided", "note": "Felaktigt steg"},
        form_url=f"/cases/{case_id}",
    )
    body = status.get_data(as_text=True)
    assert status.status_code == 400 and "Felaktigt steg" in body and "A case cannot go from" in body
    with app.app_context():
        assert db.session.get(User, coordinator) is not None


def test_the_case_search_with_a_whitespace_status_searches_any_status(app, client, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():
        make_ready_case(coordinator, 3)
        db.session.commit()
    response = post_form(client, "/cases/", {"q": "Testsson3", "status": "   "})
    assert response.status_code == 200
    assert "Barn3" in response.get_data(as_text=True)


def test_the_case_search_with_an_unknown_status_is_refused_beside_the_field(app, client, signed_in):
    signed_in("coordinator")
    response = post_form(client, "/cases/", {"q": "Testsson", "status": "closed-ish"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="status-error"' in body and 'value="Testsson"' in body


def test_a_select_posted_with_whitespace_is_the_blank_choice(app, client, signed_in):
    """A referral whose optional selects (diagnosis, side, growth pattern) hold only whitespace is saved as if they
    were left blank."""
    signed_in("coordinator")
    referral = {
        "national_id": "20190314-9811",
        "given_name": "Elsa",
        "family_name": "Johansson",
        "sex": " \t",
        "referring_clinician": "Dr A",
        "referring_email": "dr.a@example-hospital.se",
        "priority": "routine",
    }
    refused = post_form(client, "/cases/new", referral)  # a new patient's sex is needed: whitespace is none
    assert refused.status_code == 400 and 'id="sex-error"' in refused.get_data(as_text=True)
    blank = {"diagnosis": "   ", "side": " ", "growth_pattern": "\t", "method": "  ", "bone_age_method": "   "}
    response = post_form(client, "/cases/new", {**referral, "sex": "female", **blank})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        from sqlalchemy import select

        from conference.cases.models import Case

        case = db.session.scalar(select(Case))
        assert not (case.diagnosis or "").strip() and not (case.side or "").strip()
