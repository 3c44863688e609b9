"""While the database does not answer, pages answer our own 503 with Retry-After (a page that needs no database),
quickly (connect timeout), and the same running app recovers by itself once the database is back."""

import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from conference import create_app
from conference.extensions import db
from conference.people import services as people
from tests.conftest import PASSWORD
from tests.tcp_proxy import CuttableProxy


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


def test_a_postgresql_outage_shows_only_the_503_page_then_recovers(app, make_user):
    """Signed in, then PostgreSQL is cut off (a proxy in this test): every page answers our 503 page with
    Retry-After, never a 500 (error pages ask the database nothing, not even for the signed-in user); once the
    proxy lets the connections through again, the same session goes on without signing in again."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "postgresql":
        pytest.skip("cuts a PostgreSQL server: run with CONFERENCE_TEST_DATABASE_URL=postgresql+psycopg://...")
    _user_id, email = make_user("coordinator")
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        proxied = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
            WTF_CSRF_ENABLED=False,
            DATABASE_CONNECT_TIMEOUT=2,
        )
        client = proxied.test_client()
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        assert client.get("/").status_code == 200
        proxy.cut()
        statuses = []
        for path in ["/", "/", "/cases/", "/conferences/", "/patients/", "/"]:
            response = client.get(path)
            statuses.append(response.status_code)
            assert response.status_code == 503, (path, response.get_data(as_text=True)[:300])
            assert response.headers["Retry-After"] == str(proxied.config["RETRY_AFTER_SECONDS"])
            assert "Temporarily unavailable" in response.get_data(as_text=True)
        anonymous = proxied.test_client().post("/login", data={"email": email, "password": PASSWORD})
        assert anonymous.status_code == 503
        proxy.restore()
        assert client.get("/").status_code == 200  # the same session, no new sign-in
        assert client.get("/cases/").status_code == 200
    finally:
        with proxied.app_context():
            db.session.remove()
            db.engine.dispose()
        proxy.cut()


def _storage_app(tmp_path, **overrides):
    path = tmp_path / "storage.sqlite3"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", WTF_CSRF_ENABLED=False)
    with app.app_context():
        upgrade()
        people.create_user(email="k@example-hospital.se", name="K", role="coordinator", password="korrekt-häst-batteri")
        db.session.commit()
        db.engine.dispose()
    return path


def _wrong_sign_ins(app, count: int):
    """Sign-ins with a wrong password, each from its own address and email: each one writes a row."""
    for n in range(count):
        response = app.test_client().post(
            "/login",
            data={"email": f"k{n}@example-hospital.se", "password": "fel-fel-fel"},
            environ_base={"REMOTE_ADDR": f"10.7.{n // 250}.{n % 250}"},
        )
        if response.status_code != 401:
            return response
    return None


def test_a_full_disk_says_so_instead_of_an_unreachable_database(tmp_path):
    """SQLite's max_page_count makes the database full (SQLITE_FULL, as a full disk does): the page says the disk
    is full and nothing new can be saved, not that the database cannot be reached."""
    from sqlalchemy import event

    path = _storage_app(tmp_path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", WTF_CSRF_ENABLED=False)
    with app.app_context():
        pages = db.session.execute(text("PRAGMA page_count")).scalar()
        db.session.remove()
        db.engine.dispose()

        @event.listens_for(db.engine, "connect")
        def full(dbapi_connection, _record):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    response = _wrong_sign_ins(app, 400)
    assert response is not None, "the database never filled up"
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert "disk is full" in body and "cannot reach its database" not in body


def test_a_read_only_database_says_so(tmp_path, database_url):
    """SQLite opened read-only, or PostgreSQL in read-only transactions (a standby, or a full disk turned
    read-only by the administrator): the page says nothing can be saved, and why."""
    if database_url.startswith("postgresql"):
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=database_url,
            SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c default_transaction_read_only=on"}},
            WTF_CSRF_ENABLED=False,
        )
    else:
        path = _storage_app(tmp_path)
        app = create_app(
            "testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{path}?mode=ro&uri=true", WTF_CSRF_ENABLED=False
        )
    try:
        response = _wrong_sign_ins(app, 1)
        assert response is not None and response.status_code == 503
        body = response.get_data(as_text=True)
        assert "read-only" in body and "cannot reach its database" not in body
    finally:
        with app.app_context():
            db.engine.dispose()
