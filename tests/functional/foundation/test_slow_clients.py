"""A few slow clients cannot take the web server from everyone else: real gunicorn with the deployment's settings
(config/gunicorn.py: two workers of eight threads), four clients that announce a request body and send it a byte at a time, and a
normal request that must still be answered quickly (with the old two sync workers it waited out the 30 s worker
timeout)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from conference import PROJECT_ROOT
from tests.conftest import free_port


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode(errors="replace")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not come up")


def test_four_slow_clients_do_not_hold_up_a_normal_request(database_url, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "CONFERENCE_ENV": "testing",
        "CONFERENCE_DATABASE_URL": database_url,
        "CONFERENCE_WEB_BIND": f"127.0.0.1:{port}",
        "CONFERENCE_WEB_WORKERS": "2",
        "CONFERENCE_WEB_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", "conference.wsgi:app"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    slow: list[socket.socket] = []
    try:
        url = f"http://127.0.0.1:{port}/login"
        _wait_until_up(url, server)
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(
                b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\nemail="
            )
            slow.append(sock)
        time.sleep(1)  # every slow client is being read by now
        for sock in slow:
            sock.sendall(b"a")  # still sending, a byte at a time
        timings = []
        for _ in range(3):
            began = time.monotonic()
            with urllib.request.urlopen(url, timeout=20) as response:
                assert response.status == 200
            timings.append(time.monotonic() - began)
        assert max(timings) < 3, timings
    finally:
        for sock in slow:
            sock.close()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()
