"""Issue 21, language: every word in the reader's language, "Minutes" the record is "Protokoll", English dates as
in Britain and Swedish numbers with a decimal comma."""

import re
from datetime import date, timedelta

from conference.cases import services as cases
from conference.extensions import db
from conference.people.models import User
from tests.conftest import login
from tests.functional.cases.helpers import make_ready_case
from tests.functional.conferences.helpers import book_series, dispatch
from tests.functional.meetings.helpers import start_meeting


def _sign_in(client, make_user, role="coordinator", locale="sv", specialty=None):
    user_id, email = make_user(role, specialty, locale=locale)
    assert login(client, email).status_code == 302
    return user_id


def test_the_archive_calls_the_record_protokoll_in_swedish(app, client, make_user):
    _sign_in(client, make_user)
    page = client.get("/conferences/archive").get_data(as_text=True)
    assert "<th>Protokoll</th>" in page
    assert "Minuter" not in page


def test_outbox_filters_are_in_swedish(app, client, make_user):
    user_id = _sign_in(client, make_user)
    with app.app_context():
        book_series([user_id])
        dispatch()
    page = client.get("/outbox/").get_data(as_text=True)
    filters = page.split('class="row"')[2].split("</p>")[0]
    assert "Skickat: " in filters or "Misslyckat: " in filters or "Väntar: " in filters, filters
    assert not re.search(r">(sent|failed|pending|sending): ", filters)


def test_attendance_radios_are_labelled_in_swedish(app, client, make_user):
    user_id = _sign_in(client, make_user)
    with app.app_context():
        series = book_series([user_id])
        conference_id = series.conferences[0].id
        start_meeting(series.conferences[0])
    page = client.get(f"/meetings/{conference_id}").get_data(as_text=True)
    labels = re.findall(r'type="radio" name="attendance-\d+" value="\w+" aria-label="([^"]+)"', page)
    assert labels, "no attendance radios"
    assert all(label.split(": ")[1] in ("Närvarande", "På distans", "Frånvarande") for label in labels), labels


def test_english_dates_are_british(app, client, make_user):
    user_id = _sign_in(client, make_user, locale="en")
    with app.app_context():
        series = book_series([user_id])
        conference = series.conferences[0]
        day = conference.starts_at.date()
        conference_id = conference.id
    page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert 'lang="en-GB"' in page
    us_short = f"{day.month}/{day.day}/{day.year % 100}"
    assert us_short not in page
    assert day.strftime("%B") in page and re.search(rf"\b{day.day} {day.strftime('%B')}", page), "not day month"


def test_swedish_numbers_have_a_decimal_comma(app, client, make_user):
    user_id = _sign_in(client, make_user, role="specialist", specialty="orthopaedic_surgeon")
    with app.app_context():
        actor = db.session.get(User, user_id)
        case = make_ready_case(user_id, 3, measurements=0)
        cases.add_measurement(
            case,
            cases.MeasurementInput(
                measured_on=date(2024, 1, 1) + timedelta(days=1), method="standing_radiograph", lld_mm=20.5
            ),
            actor,
        )
        db.session.commit()
        case_id = case.id
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    prediction = page.split('id="prediction"')[1].split("</div>")[0]
    assert re.search(r"<strong>\d+,\d mm</strong>", prediction), prediction[:400]
