"""Issue 21: the admin finds a patient's access log by identity number, and corrects an account (audited, with an
optimistic lock)."""

from sqlalchemy import select

from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.people.models import Role, User
from tests.conftest import csrf_token, login, post_form
from tests.functional.cases.helpers import make_patient


def test_the_admin_finds_a_patients_access_log_by_identity_number(app, client, make_user):
    coordinator_id = make_user("coordinator")[0]
    _admin_id, email = make_user("admin")
    with app.app_context():
        patient = make_patient(db.session.get(User, coordinator_id), 5)
        db.session.commit()
        patient_id, number = patient.id, patient.national_id_display
    assert login(client, email).status_code == 302
    found = post_form(client, "/admin/audit/", {"identity": number.replace("-", "")})
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/patients/{patient_id}/access-log")
    assert number.replace("-", "") not in found.headers["Location"]
    assert client.get(found.headers["Location"]).status_code == 200
    unknown = post_form(client, "/admin/audit/", {"identity": "19000101-0008"})
    assert unknown.status_code in (400, 404)
    assert "identity" in unknown.get_data(as_text=True)


def test_the_admin_edits_an_account_with_an_audit_and_a_lock(app, client, make_user):
    user_id, _ = make_user("specialist", "endocrinologist", name="Sara Nystrom")
    _admin_id, email = make_user("admin")
    assert login(client, email).status_code == 302
    form = client.get(f"/admin/users/{user_id}/edit").get_data(as_text=True)
    assert 'value="Sara Nystrom"' in form
    fields = {
        "name": "Sara Nyström",
        "email": "sara.nystrom@example-hospital.se",
        "title": "Överläkare",
        "role": "specialist",
        "specialty": "endocrinologist",
        "locale": "en",
        "active": "y",
    }
    token = csrf_token(client, f"/admin/users/{user_id}/edit")
    saved = client.post(f"/admin/users/{user_id}/edit", data={**fields, "version": "1", "csrf_token": token})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    stale = client.post(
        f"/admin/users/{user_id}/edit", data={**fields, "name": "Someone Else", "version": "1", "csrf_token": token}
    )
    assert stale.status_code == 409
    assert 'value="Someone Else"' in stale.get_data(as_text=True)  # what was typed comes back
    no_specialty = client.post(
        f"/admin/users/{user_id}/edit", data={**fields, "specialty": "", "version": "2", "csrf_token": token}
    )
    assert no_specialty.status_code == 400
    assert "A specialist needs a specialty." in no_specialty.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.name, user.email, user.title, user.locale, user.role) == (
            "Sara Nyström",
            "sara.nystrom@example-hospital.se",
            "Överläkare",
            "en",
            Role.specialist,
        )
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
        assert event is not None and event.target_id == user_id and "name" in event.detail
