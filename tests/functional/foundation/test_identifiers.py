"""Nothing that identifies a patient leaves the record in a calendar or an email: identity numbers however written
and patients' names are refused in titles, rooms and video links; amendment reasons stay out of emails; the outcome
is only emailed to a referrer inside the hospital's domains."""

import pytest

from conference.extensions import db
from conference.people.models import User
from tests.conftest import post_form
from tests.functional.cases.helpers import make_patient
from tests.functional.conferences.helpers import post_booking


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
    response = post_booking(client, **{field: value})
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


def _patient(app, coordinator, given, family, n):
    from conference.patients import services as patients
    from conference.patients.identity import parse_identity_number
    from conference.seed import demo_identity

    with app.app_context():
        from datetime import date

        identity = parse_identity_number(demo_identity(date(2014, 5, 1 + n), "982"))
        patients.create_patient(
            identity=identity,
            given_name=given,
            family_name=family,
            sex=identity.sex,
            actor=db.session.get(User, coordinator),
        )
        db.session.commit()


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "Genomgång Johansson, Elsa"),
        ("title", "MDT Johansson E."),
        ("title", "MDT E. Johansson"),
        ("title", "MDT JOHANSSON ELSA"),
        ("location", "Rum 3 (Elsa/Johansson)"),
        ("video_link", "https://video.example-hospital.se/mdt/elsa-johansson"),
        ("video_link", "https://video.example-hospital.se/mdt/Johansson_Elsa"),
        ("video_link", "https://video.example-hospital.se/mdt/elsa.johansson?pin=1"),
        ("video_link", "https://video.example-hospital.se/mdt/%C3%85sa%20%C3%96berg"),  # percent-encoded
        ("video_link", "https://video.example-hospital.se/mdt/asa-oberg"),  # a slug folds the diacritics
        ("title", "MDT Öberg, Å."),
        ("title", "MDT Karl-Erik von Essen"),
        ("video_link", "https://video.example-hospital.se/mdt/karl-erik-von-essen"),
    ],
)
def test_booking_refuses_a_name_in_any_writing(app, client, signed_in, field, value):
    coordinator = signed_in("coordinator")
    _patient(app, coordinator, "Elsa", "Johansson", 1)
    _patient(app, coordinator, "Åsa", "Öberg", 2)
    _patient(app, coordinator, "Karl-Erik", "von Essen", 3)
    response = post_booking(client, **{field: value})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body and "must not identify a patient" in body


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "MDT benförlängning"),
        ("title", "MDT Johansson-salen"),  # a family name alone is not a patient's name
        ("location", "Konferensrum 3, plan 2"),
        ("video_link", "https://video.example-hospital.se/mdt/ortopedi_100%25"),
    ],
)
def test_booking_accepts_text_without_a_name_even_with_patients_called_wildcards(app, client, signed_in, field, value):
    """Patients called % and _ (LIKE's wildcards) match nothing but themselves."""
    coordinator = signed_in("coordinator")
    _patient(app, coordinator, "Elsa", "Johansson", 1)
    _patient(app, coordinator, "%", "%", 2)
    _patient(app, coordinator, "_", "_ _", 3)
    _patient(app, coordinator, "Anna %", "Lind_", 4)
    response = post_booking(client, **{field: value})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_searches_take_percent_and_underscore_as_characters(app, client, signed_in):
    coordinator = signed_in("coordinator")
    _patient(app, coordinator, "Elsa", "Johansson", 1)
    _patient(app, coordinator, "Anna", "Lind_ström", 2)
    with app.app_context():
        from sqlalchemy import select

        from conference.cases import services as cases
        from conference.fhir import services as fhir
        from conference.patients.models import Patient

        actor = db.session.get(User, coordinator)
        for patient in db.session.scalars(select(Patient)):
            cases.refer_case(patient=patient, actor=actor, fields={"referring_clinician": "Dr A"})
        db.session.flush()
        assert cases.search(text="%", status=None, actor=actor) == []
        assert [c.patient.family_name for c in cases.search(text="_", status=None, actor=actor)] == ["Lind_ström"]
        assert fhir.patients(ids=None, family="%", count=10, offset=0).rows == []
        assert [p.family_name for p in fhir.patients(ids=None, family="lind_", count=10, offset=0).rows] == [
            "Lind_ström"
        ]
        db.session.rollback()
