"""While the database does not answer, pages answer our own 503 with Retry-After (a page that needs no database),
quickly (connect timeout), and the same running app recovers by itself once the database is back."""

import time

from flask_migrate import upgrade

from conference import create_app
from conference.extensions import db
from conference.people import services as people


def _login(client, email="k@example-hospital.se"):
    return client.post("/login", data={"email": email, "password": "korrekt-häst-batteri"})


def test_an_unreachable_database_gives_503_then_recovers(tmp_path):
    folder = tmp_path / "database-not-there-yet"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/db.sqlite", WTF_CSRF_ENABLED=False)
    client = app.test_client()
    began = time.monotonic()
    response = _login(client)
    assert response.status_code == 503 and response.headers["Retry-After"] == str(app.config["RETRY_AFTER_SECONDS"])
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert time.monotonic() - began < app.config["DATABASE_CONNECT_TIMEOUT"] + 5

    folder.mkdir()  # the database comes back
    with app.app_context():
        upgrade()
        people.create_user(email="k@example-hospital.se", name="K", role="coordinator", password="korrekt-häst-batteri")
        db.session.commit()
    assert _login(client).status_code == 302  # the same app, no restart
    assert client.get("/").status_code == 200


def test_a_postgresql_server_that_refuses_connections_gives_503_fast():
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/test", WTF_CSRF_ENABLED=False
    )
    began = time.monotonic()
    response = _login(app.test_client())
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert time.monotonic() - began < app.config["DATABASE_CONNECT_TIMEOUT"] + 5
    connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert connect_args["connect_timeout"] == 5 and "statement_timeout" in connect_args["options"]
