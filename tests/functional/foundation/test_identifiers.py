"""Nothing that identifies a patient leaves the record in a calendar or an email: identity numbers however written
and patients' names are refused in titles, rooms and video links; amendment reasons stay out of emails; the outcome
is only emailed to a referrer inside the hospital's domains."""

import pytest

from conference.extensions import db
from conference.people.models import User
from tests.conftest import post_form
from tests.functional.cases.helpers import make_patient
from tests.functional.conferences.helpers import next_weekday


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "Genomgång 190314–9811"),
        ("title", "Genomgång 2019-03-14-9811"),
        ("location", "Rum 190314_9811"),
        ("video_link", "https://video.example-hospital.se/190314-9811"),
        ("title", "Genomgång Barn7 Testsson7"),  # a registered patient's name
    ],
)
def test_booking_refuses_text_that_identifies_a_patient(app, client, signed_in, field, value):
    coordinator = signed_in("coordinator")
    with app.app_context():
        make_patient(db.session.get(User, coordinator), 7)
        db.session.commit()
        start = next_weekday(2)
    data = {
        "title": "MDT",
        "kind": "single",
        "date": start.date().isoformat(),
        "start_time": "14:00",
        "end_time": "15:00",
        "capacity": "8",
        "case_deadline_hours": "48",
        "chair": "0",
        field: value,
    }
    response = post_form(client, "/conferences/new", data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body and "must not identify a patient" in body


def test_a_referrer_outside_the_hospital_is_refused_with_a_message(client, signed_in):
    signed_in("coordinator")
    response = post_form(
        client,
        "/cases/new",
        {
            "national_id": "20190314-9811",
            "given_name": "Elsa",
            "family_name": "Johansson",
            "sex": "female",
            "referring_clinician": "Dr Extern",
            "referring_email": "doktor@gmail.com",
            "priority": "routine",
            "growth_pattern": "unknown",
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'id="referring_email-error"' in body and "only be emailed inside" in body and "Dr Extern" in body


def test_the_amendment_reason_stays_out_of_the_email(app):
    with app.test_request_context():
        from flask import render_template

        class Minutes:
            version, amendment_reason = 2, "Fel patient: Elsa Johansson 190314-9811"

        class Conference:
            title = "MDT"
            from datetime import datetime, timezone

            starts_at = datetime(2030, 1, 1, 13, tzinfo=timezone.utc)

        body = render_template("emails/minutes.txt", minutes=Minutes, conference=Conference, url="x", user=None)
    assert "amends the earlier one" in body and "Elsa" not in body and "190314" not in body
