"""A surgeon reads a growing child's prediction, epiphysiodesis timing by both methods and the band, in Swedish and
in English. Dates are relative to today (the measurement must not lie in the future), never fixed."""

from datetime import timedelta

import pytest

from conference.cases import services
from conference.extensions import db
from conference.people.models import User
from tests.conftest import PASSWORD
from tests.functional.cases.helpers import READY_FIELDS, make_patient

pytestmark = pytest.mark.browser


def test_surgeon_sees_prediction_timing_and_band_in_swedish_and_english(app, live_server, page, make_user):
    surgeon_id, surgeon_email = make_user("specialist", "orthopaedic_surgeon", locale="sv")
    measured = app.extensions["clock"].now().date() - timedelta(days=30)
    with app.app_context():
        surgeon = db.session.get(User, surgeon_id)
        # A boy (odd serial) of 11, bone age 11.0, congenital 20 mm; long leg's femur 450 and tibia 370 mm.
        patient = make_patient(surgeon, 1, birth=measured - timedelta(days=round(11 * 365.25)))
        case = services.refer_case(patient=patient, actor=surgeon, fields=READY_FIELDS)
        services.add_measurement(
            case,
            services.MeasurementInput(
                measured_on=measured,
                method="scanogram",
                lld_mm=20,
                bone_age_years=11.0,
                bone_age_method="greulich_pyle",
                femur_length_mm=450,
                tibia_length_mm=370,
            ),
            surgeon,
        )
        db.session.commit()
        case_id = case.id

    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", surgeon_email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.goto(live_server.url + f"/cases/{case_id}")
    swedish = page.locator("#prediction").inner_text()
    assert "24,8 mm" in swedish  # a decimal comma in Swedish
    assert "Epifysiodesfönster" in swedish and "skelettålder" in swedish and "Greulich-Pyle" in swedish
    timing = page.locator("#timing").inner_text()
    assert "Distala femur" in timing and "Proximala tibia" in timing and "White-Menelaus" in timing
    # Paley, distal femur at 14.3 years (hand-computed in the unit tests): ages in completed years and months
    assert "vid 14 år 3 månader" in timing
    assert page.locator("svg.lld-chart rect.predicted-at-visit").count() == 1

    page.goto(live_server.url + "/")
    page.select_option("select[name=locale]", "en")
    page.click("form[action='/language'] button")
    page.goto(live_server.url + f"/cases/{case_id}")
    english = page.locator("#prediction").inner_text()
    assert "24.8 mm" in english and "Epiphysiodesis window" in english and "bone age" in english
    timing = page.locator("#timing").inner_text()
    assert "Distal femur" in timing and "Proximal tibia" in timing and "at age 14 years 3 months" in timing
    assert "at age 13 years 5 months" in timing  # proximal tibia, Paley (13.42 years: 161 completed months)
