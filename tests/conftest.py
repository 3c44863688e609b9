"""Test fixtures: one app and one real database per session (SQLite file by default, PostgreSQL when
CONFERENCE_TEST_DATABASE_URL is set), migrated with Alembic, emptied after every test."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from conference import create_app
from conference.extensions import db

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("CONFERENCE_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _reset_schema(url: str) -> None:
    if url.startswith("postgresql"):
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_FILE_DIRECTORY=str(tmp_path_factory.mktemp("mail")),
        IMAGE_STORE=str(tmp_path_factory.mktemp("images")),
    )
    with app.app_context():
        _reset_schema(database_url)
        upgrade()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # The triggers refuse deleting audit events and signed records (as they must); the tests' own cleanup
        # lifts them for the DELETEs and puts the same statements back. PostgreSQL's TRUNCATE fires no row triggers.
        triggers = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        for name, _sql in triggers:
            db.session.execute(text(f'DROP TRIGGER "{name}"'))
        for table in tables:
            db.session.execute(table.delete())
        for _name, sql in triggers:
            db.session.execute(text(sql))
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(app):
    yield
    with app.app_context():
        db.session.rollback()
        _empty_tables()
        db.session.remove()


@pytest.fixture
def app_ctx(app):
    """An app context for tests that call services directly (not for tests that make requests)."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str = "/login") -> str:
    response = client.get(url)
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {response.status_code})"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """POST like a browser: take the CSRF token from the page that shows the form."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@contextmanager
def statements_run(app) -> Iterator[list[str]]:
    """Every SQL statement the app's database is sent inside the block, in order."""
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def make_user(app):
    """Create a committed user: make_user("coordinator") or make_user("specialist", "clinical_geneticist")."""
    from conference.people import services

    counter = iter(range(1, 10_000))

    def _make(role="coordinator", specialty=None, *, email=None, name=None, locale="en"):
        n = next(counter)
        with app.app_context():
            user = services.create_user(
                email=email or f"{role}{n}@example-hospital.se",
                name=name or f"{role.title()} {n}",
                role=role,
                specialty=specialty or ("orthopaedic_surgeon" if role == "specialist" else None),
                password=PASSWORD,
                locale=locale,
            )
            db.session.commit()
            return user.id, user.email

    return _make


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in with a fresh account of the given role."""

    def _sign_in(role="coordinator", specialty=None):
        user_id, email = make_user(role, specialty)
        response = login(client, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return _sign_in


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class SMTPServer:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives; can be stopped and restarted."""

    def __init__(self, port: int):
        self.port = port
        self.reply = "250 OK"  # e.g. "550 Mailbox unavailable" to refuse every message
        self.delay = 0.0  # seconds to wait before answering DATA (a slow relay)
        self.drop_next = 0  # close the connection instead of answering the next N DATA commands
        self.drop_before_storing = False  # with drop_next: break off mid-DATA (the message is not kept)
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply.startswith("5") or self.reply.startswith("4"):
            return self.reply
        with self._lock:
            dropping = self.drop_next > 0
            self.drop_next -= 1 if dropping else 0
            if not (dropping and self.drop_before_storing):
                self.messages.append(envelope.original_content or envelope.content)
                self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if dropping:  # the relay took the message but the connection breaks before its 250
            server.transport.close()
            return "421 closing"
        return self.reply

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def parsed(self):
        from email import message_from_bytes, policy

        return [message_from_bytes(raw, policy=policy.default) for raw in self.messages]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    server = SMTPServer(free_port())
    server.start()
    previous = app.config["SMTP_PORT"], app.config["MAIL_BACKEND"]
    app.config.update(SMTP_PORT=server.port, MAIL_BACKEND="smtp")
    yield server
    server.stop()
    app.config["SMTP_PORT"], app.config["MAIL_BACKEND"] = previous


@pytest.fixture(autouse=True)
def clock(app):
    """The application's clock (conference/clock.py): tests move it, and it is put back after each test."""
    clock = app.extensions["clock"]
    yield clock
    clock.reset()


SLOW_FIXTURES = {"browser", "page", "live_server"}


def pytest_collection_modifyitems(config, items):
    """Browser tests and tests that start servers are marked slow (`make test-fast` leaves them out); so are the
    tests that mark themselves."""
    for item in items:
        if "tests/browser/" in item.nodeid or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
