"""Issue 21: children's ages are completed years and months everywhere (an 11-year-old is never printed as 12)."""

from datetime import date

from conference.cases import services
from conference.db import local_today
from conference.extensions import db
from conference.formatting import age, age_in_years, completed_years_months
from conference.patients import services as patients
from conference.patients.identity import parse_identity_number
from conference.people.models import User
from conference.seed import demo_identity
from tests.functional.cases.helpers import READY_FIELDS
from tests.functional.conferences.helpers import book_series


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    return date(total // 12, total % 12 + 1, min(day.day, 28))


def test_completed_years_and_months(app):
    assert completed_years_months(date(2015, 3, 20), date(2026, 11, 19)) == (11, 7)
    assert completed_years_months(date(2015, 3, 20), date(2026, 11, 20)) == (11, 8)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert age(date(2015, 3, 20), date(2026, 11, 25)) == "11 years 8 months"
        assert age(date(1980, 3, 20), date(2026, 11, 25)) == "46 years"
        assert age(date(2026, 5, 1), date(2026, 11, 25)) == "6 months"
        assert age_in_years(11.99) == "11 years 11 months"
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        assert age(date(2015, 3, 20), date(2026, 11, 25)) == "11 år 8 månader"


def test_printed_case_list_prints_completed_years_and_months(app, client, signed_in):
    coordinator = signed_in("coordinator")
    with app.app_context():
        series = book_series([coordinator])
        conference = series.conferences[0]
        meeting_day = conference.starts_at.date()
        actor = db.session.get(User, coordinator)
        # 11 years and 8 months old on the meeting day: "%.0f" printed 12.
        identity = parse_identity_number(demo_identity(_months_before(meeting_day, 11 * 12 + 8), "123"))
        patient = patients.create_patient(
            identity=identity, given_name="Ida", family_name="Berg", sex=identity.sex, actor=actor
        )
        case = services.refer_case(patient=patient, actor=actor, fields=READY_FIELDS)
        services.add_measurement(
            case, services.MeasurementInput(measured_on=local_today(), method="blocks", lld_mm=20), actor
        )
        services.list_case(conference, case, actor)
        db.session.commit()
        conference_id = conference.id
    page = client.get(f"/cases/agenda/{conference_id}/print").get_data(as_text=True)
    assert "11 years 8 months" in page
    assert "<td>12</td>" not in page
