from conference.audit.models import AuditEvent
from conference.extensions import db
from conference.patients.models import Patient
from conference.seed import check_digit
from tests.conftest import csrf_token, post_form


def _valid(birth="20150412", serial="123"):
    return f"{birth}-{serial}{check_digit(birth[2:] + serial)}"


def test_bad_checksum_gives_a_field_error_and_keeps_the_form(client, signed_in):
    signed_in("coordinator")
    response = post_form(
        client,
        "/patients/new",
        {
            "national_id": "20150412-1230" if check_digit("150412123") != "0" else "20150412-1231",
            "given_name": "Tove",
            "family_name": "Sjöberg",
            "sex": "female",
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The check digit is wrong" in body
    assert 'value="Tove"' in body and 'value="Sjöberg"' in body
    assert 'aria-invalid="true"' in body


def test_impossible_date_gives_a_field_error(client, signed_in):
    signed_in("coordinator")
    response = post_form(
        client,
        "/patients/new",
        {"national_id": _valid("20150231"), "given_name": "Tove", "family_name": "Sjöberg", "sex": "female"},
    )
    assert response.status_code == 400
    assert "does not exist" in response.get_data(as_text=True)


def test_register_view_and_audit(app, client, signed_in):
    signed_in("specialist")
    response = post_form(
        client,
        "/patients/new",
        {"national_id": _valid(), "given_name": "Tove", "family_name": "Sjöberg", "sex": "female"},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "20150412" in client.get(location).get_data(as_text=True)
    with app.app_context():
        patient = db.session.scalar(db.select(Patient))
        actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)).all()
    assert actions == ["patient.create", "patient.view"]


def test_concurrent_edits_second_is_refused_with_input_kept(app, client, signed_in):
    signed_in("coordinator")
    post_form(
        client,
        "/patients/new",
        {"national_id": _valid(), "given_name": "Tove", "family_name": "Sjöberg", "sex": "female"},
    )
    with app.app_context():
        patient_id = db.session.scalar(db.select(Patient.id))
    url = f"/patients/{patient_id}/edit"
    token = csrf_token(client, url)
    stale = {
        "national_id": _valid(),
        "given_name": "Tove",
        "family_name": "Sjöberg",
        "sex": "female",
        "version": "1",
        "csrf_token": token,
    }
    assert client.post(url, data={**stale, "given_name": "Tova"}).status_code == 302
    response = client.post(url, data={**stale, "family_name": "Berglund"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else saved this patient" in body and 'value="Berglund"' in body
    with app.app_context():
        saved = db.session.get(Patient, patient_id)
        assert (saved.given_name, saved.family_name) == ("Tova", "Sjöberg")


def test_admin_sees_the_patient_access_log(app, client, make_user, signed_in):
    from tests.conftest import login

    _, coordinator = make_user("coordinator")
    login(client, coordinator)
    post_form(
        client,
        "/patients/new",
        {"national_id": _valid(), "given_name": "Tove", "family_name": "Sjöberg", "sex": "female"},
    )
    assert "Tove" in post_form(client, "/patients/", {"q": "Sjöberg"}).get_data(as_text=True)
    with app.app_context():
        patient_id = db.session.scalar(db.select(Patient.id))
    client.get(f"/patients/{patient_id}")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    signed_in("admin")
    assert client.get(f"/patients/{patient_id}").status_code == 403  # admins manage, they do not read records
    body = client.get(f"/patients/{patient_id}/access-log").get_data(as_text=True)
    assert "Patient registered" in body and "Patient viewed" in body
