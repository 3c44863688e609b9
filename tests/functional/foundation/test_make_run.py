"""`make run` migrates, seeds and serves the login page (the web app and the scheduler), and Ctrl-C stops it."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_serves_the_login_page(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFERENCE_")}
    env["CONFERENCE_DATABASE_URL"] = "sqlite:///" + str(tmp_path / "run.db")
    env["CONFERENCE_MAIL_BACKEND"] = "file"
    env["CONFERENCE_MAIL_FILE_DIRECTORY"] = str(tmp_path / "mail")
    env["CONFERENCE_IMAGE_STORE"] = str(tmp_path / "images")  # the demo's radiographs, not in the checkout
    log = open(tmp_path / "run.log", "wb")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        body, deadline = "", time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        output = (tmp_path / "run.log").read_text()
        assert 'name="password"' in body, output
        assert "koordinator@example-hospital.se" in output  # the demo logins are printed
        # The scheduler process runs beside the web app: it sends the demo's invitations at start.
        while time.monotonic() < deadline and not list((tmp_path / "mail").glob("*.eml")):
            time.sleep(0.5)
        assert list((tmp_path / "mail").glob("*.eml")), (tmp_path / "run.log").read_text()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            log.close()
    assert process.returncode is not None
