"""Issue 21: a follow-up visit or an aid recorded by mistake is corrected, never deleted: the correction keeps the
original and records the corrected values, who and when, and the plan page shows both."""

from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.rehab import services as rehab
from conference.rehab.models import Adaptation, FollowUp
from tests.conftest import login, post_form
from tests.functional.rehab.test_rehab import _lengthening, rehab_team  # noqa: F401 (fixture)


def test_a_follow_up_and_an_aid_are_corrected_with_the_original_kept(app, client, rehab_team, clock):  # noqa: F811
    _c, _i, plan_id = _lengthening(app, rehab_team, device="magnetic_nail", bone="femur", target=40, surgery_in_days=0)
    physio_id, physio_email = rehab_team["physio"]
    with app.app_context():
        from datetime import timedelta

        from conference.meetings.models import RehabPlan

        plan = db.session.get(RehabPlan, plan_id)
        clock.travel_to(clock.now() + timedelta(days=14))
        seen = plan.surgery_on + timedelta(days=10)
    login(client, physio_email)
    url = f"/rehab/plan/{plan_id}"
    saved = post_form(client, f"{url}/followups", {"seen_on": seen.isoformat(), "achieved_mm": "70"}, form_url=url)
    assert saved.status_code == 302
    with app.app_context():
        original_id = db.session.scalar(select(FollowUp.id))
    page = client.get(url).get_data(as_text=True)
    assert f"/rehab/followup/{original_id}/correct" in page
    form_url = f"/rehab/followup/{original_id}/correct"
    assert 'value="70' in client.get(form_url).get_data(as_text=True)  # the form starts from what was recorded
    no_reason = post_form(client, form_url, {"seen_on": seen.isoformat(), "achieved_mm": "7"})
    assert no_reason.status_code == 400
    corrected = post_form(
        client, form_url, {"seen_on": seen.isoformat(), "achieved_mm": "7", "reason": "Fel decimal: 7 mm, inte 70"}
    )
    assert corrected.status_code == 302
    again = post_form(client, form_url, {"seen_on": seen.isoformat(), "achieved_mm": "8", "reason": "Igen"})
    assert again.status_code == 400  # the original was corrected: correct the latest version
    with app.app_context():
        rows = db.session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
        assert [(r.achieved_mm, r.corrects_id) for r in rows] == [(70.0, None), (7.0, original_id)]
        assert rows[1].corrected_by_id == physio_id and rows[1].correction_reason == "Fel decimal: 7 mm, inte 70"
        assert [f.achieved_mm for f in rehab.followups_of(db.session.get(RehabPlan, plan_id))] == [7.0]
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rehab.followup_corrected"))
    page = client.get(url).get_data(as_text=True)
    assert "Fel decimal: 7 mm, inte 70" in page and "70 mm" in page and "7 mm" in page

    client = app.test_client()  # the occupational therapist
    login(client, rehab_team["ot"][1])
    added = post_form(client, f"{url}/adaptations", {"kind": "aid", "description": "Rullstol"}, form_url=url)
    assert added.status_code == 302
    with app.app_context():
        aid_id = db.session.scalar(select(Adaptation.id))
    fixed = post_form(
        client,
        f"/rehab/adaptation/{aid_id}/correct",
        {"kind": "aid", "description": "Rollator", "reason": "Fel hjälpmedel registrerat"},
    )
    assert fixed.status_code == 302
    with app.app_context():
        aids = db.session.scalars(select(Adaptation).order_by(Adaptation.id)).all()
        assert [(a.description, a.corrects_id) for a in aids] == [("Rullstol", None), ("Rollator", aid_id)]
    page = client.get(url).get_data(as_text=True)
    assert "Rollator" in page and "Fel hjälpmedel registrerat" in page and "Rullstol" in page
