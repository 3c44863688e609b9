"""Issue 21, defaults and clinical safety: the referral chooses nothing clinical on its own, and a referral started
from a patient's page knows the patient."""

import re
from datetime import date

from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.cases.models import Case, GrowthPattern
from conference.extensions import db
from conference.seed import demo_identity
from tests.conftest import post_form
from tests.functional.cases.helpers import make_patient


def _selected_option(page: str, name: str) -> str:
    """The value a browser submits for a <select>: the selected option, else the first one."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.DOTALL).group(1)
    options = re.findall(r"<option([^>]*)>", select_html)
    chosen = next((o for o in options if "selected" in o), options[0])
    return re.search(r'value="([^"]*)"', chosen).group(1)


def test_growth_pattern_defaults_to_unknown_and_the_summary_asks_for_it(app, client, signed_in):
    signed_in("specialist")
    page = client.get("/cases/new").get_data(as_text=True)
    default = _selected_option(page, "growth_pattern")
    assert default in ("", "unknown"), default

    response = post_form(
        client,
        "/cases/new",
        {
            "national_id": demo_identity(date(2016, 3, 14), "982"),
            "given_name": "Maja",
            "family_name": "Lind",
            "sex": "female",
            "referring_clinician": "Dr Remiss",
            "priority": "routine",
            "growth_pattern": default,
            "measured_on": "2026-05-02",
            "method": "standing_radiograph",
            "lld_mm": "25",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Case)).growth_pattern is GrowthPattern.unknown
    summary = client.get(response.headers["Location"]).get_data(as_text=True)
    prediction = summary.split('id="prediction"')[1].split("</div>")[0]
    assert "Set whether the discrepancy is congenital or developmental to predict it." in prediction
    assert " mm</strong>" not in prediction  # no predicted value


def test_new_referral_from_the_patient_page_fills_in_the_patient(app, client, signed_in):
    user_id = signed_in("coordinator")
    with app.app_context():
        from conference.people.models import User

        patient = make_patient(db.session.get(User, user_id), 7)
        db.session.commit()
        patient_id, shown_id = patient.id, patient.national_id_display
    patient_page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]*)"[^>]*>New referral<', patient_page).group(1).replace("&amp;", "&")
    assert shown_id.replace("-", "") not in link.replace("-", "")  # the number stays out of URLs and access logs
    form = client.get(link).get_data(as_text=True)
    assert re.search(r'name="national_id"[^>]*value="' + re.escape(shown_id) + '"', form), "identity not filled"
    assert re.search(r'name="given_name"[^>]*value="Barn7"', form)
    assert re.search(r'name="family_name"[^>]*value="Testsson7"', form)
    with app.app_context():
        shown = db.session.scalars(
            select(AuditEvent).where(AuditEvent.patient_id == patient_id, AuditEvent.actor_id == user_id)
        ).all()
        assert len(shown) >= 2  # the patient page and the filled-in referral each record the access
