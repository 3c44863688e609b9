"""Oversized requests are refused with 413 before their body is read: an anonymous client cannot make a worker
read (and keep) hundreds of megabytes. The limits are configuration (MAX_CONTENT_LENGTH and Werkzeug's form
limits), so a page that takes larger uploads can have them raised."""

from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import csrf_token


@pytest.mark.parametrize("kind", ["multipart", "urlencoded"])
def test_a_huge_anonymous_login_post_answers_413_unread(live_server, kind):
    """A real server and a client that announces 200 MB and sends 1 KiB: the answer comes at once, without the
    server waiting for (or reading) the rest."""
    size = 200 * 1024 * 1024
    if kind == "multipart":
        boundary = "grans"
        body = f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'.encode()
        content_type = f"multipart/form-data; boundary={boundary}"
    else:
        body, content_type = b"email=a&password=", "application/x-www-form-urlencoded"
    port = int(live_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = (
            f"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + body + b"x" * 1024)
        began = time.monotonic()
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            answer = b"(no answer in 10 s: the server waits for the rest of the body)"
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert time.monotonic() - began < 5


def test_the_limits_are_configuration_and_a_normal_sign_in_fits(app, make_user):
    from config import environment_overrides

    assert environment_overrides({"CONFERENCE_MAX_CONTENT_LENGTH": "10485760"}) == {"MAX_CONTENT_LENGTH": 10485760}
    assert app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024
    assert app.config["MAX_FORM_MEMORY_SIZE"] and app.config["MAX_FORM_PARTS"]
    _user_id, email = make_user()
    client = app.test_client()
    token = csrf_token(client)
    form = {"email": email, "password": "correct-horse-battery", "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302
    # Many small parts are refused too (each part costs parsing), and so is one field past the form memory limit.
    many = {f"f{n}": "x" for n in range(app.config["MAX_FORM_PARTS"] + 1)}
    assert app.test_client().post("/login", data=many, content_type="multipart/form-data").status_code == 413
    saved = app.config["MAX_FORM_MEMORY_SIZE"]
    app.config["MAX_FORM_MEMORY_SIZE"] = 1000  # (a small limit: the test client spools larger bodies to a file)
    try:
        big = {"email": "x" * 1001}
        assert app.test_client().post("/login", data=big, content_type="multipart/form-data").status_code == 413
    finally:
        app.config["MAX_FORM_MEMORY_SIZE"] = saved
