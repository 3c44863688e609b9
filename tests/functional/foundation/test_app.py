import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from werkzeug.routing.converters import NumberConverter

from conference import API_BLUEPRINTS, PUBLIC_ENDPOINTS, TOKEN_ENDPOINTS, ConfigurationError, create_app
from conference.extensions import db
from tests.conftest import csrf_token, login, post_form


def _example_url(rule) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = 1 if isinstance(rule._converters[name], NumberConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint not in PUBLIC_ENDPOINTS | TOKEN_ENDPOINTS and not _api(rule):
            yield rule


def _api(rule) -> bool:
    return rule.endpoint.split(".")[0] in API_BLUEPRINTS


def test_database_is_migrated_to_head_and_matches_the_models(app):
    with app.app_context():
        connection = db.session.connection()
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        assert context.get_current_revision() == head
        assert compare_metadata(context, db.metadata) == []


def test_public_endpoints_are_only_login_and_static():
    # Changing this set is a security decision: update it here on purpose, not by accident.
    assert PUBLIC_ENDPOINTS == {"auth.login", "auth.sso_login", "auth.sso_callback", "static"}


def test_every_route_redirects_anonymous_users_to_login(app, client):
    token = csrf_token(client, "/login")  # a valid token, so POSTs reach the login check rather than CSRF
    checked = 0
    for method in ("GET", "POST"):
        for rule in _routes(app, method):
            url = _example_url(rule)
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code == 302, (rule.endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/login"), rule.endpoint
            checked += 1
    assert checked >= 10


def test_every_post_without_csrf_token_is_refused(app, client, signed_in):
    signed_in("admin")
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods and not _api(rule)]
    assert posts
    for rule in posts:
        response = client.post(_example_url(rule), data={})
        assert response.status_code == 400, rule.endpoint
        assert "security token" in response.get_data(as_text=True)


def test_login_then_logout(client, make_user):
    _, email = make_user("coordinator")
    assert client.get("/").status_code == 302
    response = login(client, email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Welcome" in client.get("/").get_data(as_text=True)
    post_form(client, "/logout", {}, form_url="/")
    assert client.get("/").status_code == 302


def test_wrong_password_then_throttled_after_repeated_failures(app, client, make_user):
    _, email = make_user("coordinator")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = login(client, email, "wrong-password-123")
        assert response.status_code == 401
        assert "Wrong email or password" in response.get_data(as_text=True)
    response = login(client, email)  # right password, but locked for the window
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_login_redirect_refuses_other_sites(client, make_user):
    _, email = make_user("coordinator")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x", data={"email": email, "password": "correct-horse-battery", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_deactivated_user_cannot_sign_in(app, client, make_user):
    from conference.people.models import User

    user_id, email = make_user("specialist")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert login(client, email).status_code == 401


def test_admin_lists_adds_and_deactivates_users(app, client, signed_in):
    signed_in("admin")
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Nora Genetiker",
            "email": "Nora@Example-Hospital.se",
            "role": "specialist",
            "specialty": "clinical_geneticist",
            "locale": "sv",
            "password": "long-enough-pw",
        },
    )
    assert response.status_code == 302
    page = client.get("/admin/users/").get_data(as_text=True)
    assert "nora@example-hospital.se" in page and "Clinical geneticist" in page
    from conference.people.models import User

    with app.app_context():
        nora = db.session.scalar(db.select(User).where(User.email == "nora@example-hospital.se"))
    response = post_form(client, f"/admin/users/{nora.id}/active", {}, form_url="/admin/users/")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, nora.id).active is False


def test_specialist_without_specialty_gets_a_field_error_and_keeps_input(client, signed_in):
    signed_in("admin")
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Olle Utan",
            "email": "olle@example-hospital.se",
            "role": "specialist",
            "specialty": "",
            "locale": "sv",
            "password": "long-enough-pw",
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "A specialist needs a specialty." in body
    assert 'value="Olle Utan"' in body


def test_non_admin_cannot_manage_users(client, signed_in):
    signed_in("specialist")
    assert client.get("/admin/users/").status_code == 403


def test_security_headers_and_cookie_flags(client, make_user):
    _, email = make_user("coordinator")
    response = login(client, email)
    session_cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0]
    page = client.get("/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_production_refuses_development_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("CONFERENCE_SECRET_KEY", raising=False)
    monkeypatch.delenv("CONFERENCE_DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="secret key"):
        create_app("production", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x@127.0.0.1/x")
    with pytest.raises(ConfigurationError, match="SQLite"):
        create_app("production", SECRET_KEY="s" * 40)
    app = create_app("production", SECRET_KEY="s" * 40, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x@127.0.0.1/x")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_variables_override_config(monkeypatch, tmp_path):
    monkeypatch.setenv("CONFERENCE_TIMEZONE", "Europe/Helsinki")
    monkeypatch.setenv("CONFERENCE_BASE_URL", "https://mdt.example-hospital.se")
    monkeypatch.setenv("CONFERENCE_SMTP_PORT", "2525")
    monkeypatch.setenv("CONFERENCE_MAIL_ALLOWED_DOMAINS", "a.se, B.se")
    monkeypatch.setenv("CONFERENCE_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    app = create_app("testing")
    assert app.config["CONFERENCE_TIMEZONE"] == "Europe/Helsinki"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Helsinki"
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["MAIL_ALLOWED_DOMAINS"] == ["a.se", "b.se"]
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas; PostgreSQL has foreign keys always")
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_pages_follow_the_users_language(client, make_user):
    _, email = make_user("coordinator", locale="sv")
    login(client, email)
    body = client.get("/").get_data(as_text=True)
    assert "Välkommen" in body and 'lang="sv"' in body


def test_cli_creates_users_and_seeds_demo_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "ny@example-hospital.se",
            "--name",
            "Ny Person",
            "--role",
            "specialist",
            "--specialty",
            "nurse",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "ny@example-hospital.se",
            "--name",
            "Ny",
            "--role",
            "coordinator",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code != 0 and "already an account" in result.output
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "koordinator@example-hospital.se" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "already there" in second.output
    from conference.minutes.models import Minutes, MinutesStatus

    with app.app_context():  # the demo includes a held meeting with signed Word minutes
        signed = db.session.scalar(db.select(Minutes).where(Minutes.status == MinutesStatus.signed))
        assert signed is not None and signed.document.startswith(b"PK")


def test_coordinator_dashboard_shows_conferences_cases_and_outbox(app, client, signed_in):
    from conference.extensions import db as _db
    from tests.functional.cases.helpers import make_ready_case
    from tests.functional.conferences.helpers import book_series

    coordinator = signed_in("coordinator")
    with app.app_context():
        book_series([coordinator], title="Onsdagskonferensen")
        make_ready_case(coordinator, 1)
        make_ready_case(coordinator, 2, measurements=0)
        _db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Onsdagskonferensen" in page
    assert "1 ready to list, 1 referred and not ready, 0 listed." in page
    assert "1 waiting, 0 failed." in page


def test_the_api_answers_every_route_without_a_token_with_401_and_no_session_opens_it(app, client, signed_in):
    signed_in("admin")  # a browser session is no credential for the API
    checked = 0
    for rule in app.url_map.iter_rules():
        if not _api(rule) or rule.endpoint == "fhir.capabilities":
            continue
        for method in rule.methods & {"GET", "POST"}:
            response = client.open(_example_url(rule), method=method, json={})
            assert response.status_code == 401, (rule.endpoint, method)
            assert response.get_json()["resourceType"] == "OperationOutcome"
            checked += 1
    assert checked >= 4
