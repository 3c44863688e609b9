"""Small things users hit: the same room booked twice, a second referral for a patient with an open case, the
cancellation email that asks for no answer, error pages in the user's language, the unit's name."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from conference.cases.models import Case
from conference.conferences import services
from conference.extensions import db
from conference.people.models import User
from tests.conftest import PASSWORD, login, post_form
from tests.functional.cases.test_cases import _referral
from tests.functional.conferences.helpers import book_single, next_weekday


def _book(client, title, start, *, room="Konferensrum Ortopedi 3"):
    local = start.astimezone(ZoneInfo("Europe/Stockholm"))  # the testing config's zone
    return post_form(
        client,
        "/conferences/new",
        {
            "title": title,
            "kind": "single",
            "date": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"),
            "end_time": (local + timedelta(hours=1)).strftime("%H:%M"),
            "repeat": "1",
            "location": room,
            "capacity": "10",
            "case_deadline_hours": "24",
            "chair": "0",
        },
        follow_redirects=True,
    )


def test_a_warning_when_the_room_is_already_booked(app, client, signed_in):
    signed_in("coordinator")
    with app.app_context():  # the app's clock (CI runs the suite two years ahead)
        start = next_weekday(3, hour=10)
    first = _book(client, "MDT ortopedi", start)
    assert "also booked" not in first.get_data(as_text=True)
    second = _book(client, "Handkirurgi", start + timedelta(minutes=30), room="konferensrum ortopedi 3 ")
    text = second.get_data(as_text=True)
    assert second.status_code == 200 and "is also booked for “MDT ortopedi”" in text
    assert "Also booked for “MDT ortopedi”" in text  # and on the meeting's page itself
    elsewhere = _book(client, "Röntgenrond", start, room="Rum 7")
    assert "also booked" not in elsewhere.get_data(as_text=True).lower()


def test_a_second_referral_for_a_patient_with_an_open_case_warns_first(app, client, signed_in):
    signed_in("specialist")
    assert post_form(client, "/cases/new", _referral(question="Första frågan")).status_code == 302
    again = post_form(client, "/cases/new", _referral(question="Andra frågan"))
    text = again.get_data(as_text=True)
    assert again.status_code == 409 and 'id="active-case-warning"' in text
    assert "Andra frågan" in text  # nothing typed is lost
    with app.app_context():
        first_id = db.session.scalar(select(Case.id))
    assert f'href="/cases/{first_id}"' in text
    confirmed = post_form(client, "/cases/new", _referral(question="Andra frågan", new_case_anyway="y"))
    assert confirmed.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_the_cancellation_asks_for_no_answer(app, make_user):
    user_id, _email = make_user("specialist")
    with app.app_context():
        from conference.notifications.models import OutboundEmail

        user = db.session.get(User, user_id)
        conference = book_single(user, next_weekday(4, hour=9), participants=[user])
        db.session.commit()
        services.cancel_conference(conference, actor=user)
        db.session.commit()
        invite, cancel = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
        assert "Accept or decline" in invite.text_body
        assert "Accept or decline" not in cancel.text_body and "Accept or decline" not in (cancel.html_body or "")
        assert "nothing to answer" in cancel.text_body


def test_status_and_server_errors_speak_the_users_language(app, database_url, make_user, tmp_path):
    from conference import create_app

    _user_id, email = make_user("coordinator", locale="sv")
    client = app.test_client()
    login(client, email, PASSWORD)
    wrong_method = client.get("/logout")
    assert wrong_method.status_code == 405 and "Inte möjligt här" in wrong_method.get_data(as_text=True)

    broken = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, MAIL_FILE_DIRECTORY=str(tmp_path))
    broken.config["PROPAGATE_EXCEPTIONS"] = False

    @broken.route("/boom")
    def boom():
        raise RuntimeError("a bug")

    boom.policy = "signed_in"
    other = broken.test_client()
    login(other, email, PASSWORD)
    page = other.get("/boom")
    text = page.get_data(as_text=True)
    assert page.status_code == 500 and "Något gick fel" in text and "a bug" not in text
    with broken.app_context():
        db.engine.dispose()


def test_the_units_name_is_in_every_page_title(app, client, signed_in, monkeypatch):
    monkeypatch.setitem(app.config, "CONFERENCE_UNIT_NAME", "Enheten för extremitetskirurgi")
    signed_in("coordinator")
    assert "· Enheten för extremitetskirurgi</title>" in client.get("/conferences/").get_data(as_text=True)


def test_a_conference_with_a_coordinator_and_specialists_invited_shows(app, client, signed_in, make_user):
    # Found by bench/scale.py: sorting the participants by specialty failed when one had none (500).
    from tests.functional.conferences.helpers import book_series

    coordinator = signed_in("coordinator")
    surgeon = make_user("specialist", "orthopaedic_surgeon")[0]
    other_coordinator = make_user("coordinator")[0]
    with app.app_context():
        conference_id = book_series([surgeon, other_coordinator], actor_id=coordinator).conferences[0].id
    assert client.get(f"/conferences/{conference_id}").status_code == 200
