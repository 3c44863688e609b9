"""Load benchmark (a figure, not a timed test): N clients for S seconds against gunicorn with 2 sync workers and
the scheduler beside it, on SQLite and on PostgreSQL. Each client signs in as a demo clinician and loops over the
dashboard, a conference page, a case summary and a note posted on a case (a write). Prints requests/s, p50/p99,
the number of 5xx answers (must be 0) and writes lost (notes answered 302 but not in the database; must be 0).

Run: .venv/bin/python bench/load.py [clients] [seconds]     (PostgreSQL: its own database conference_bench_load at
127.0.0.1:5432, re-created each run; bench/database.py)
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import fresh_database, postgres_url  # noqa: E402

# Arguments are read only when run as a script: other benchmarks import this module.
ARGS = sys.argv if __name__ == "__main__" else []
CLIENTS = int(ARGS[1]) if len(ARGS) > 1 else 50
SECONDS = float(ARGS[2]) if len(ARGS) > 2 else 60
PASSWORD = "demo-konferens-2026"
CLINICIANS = [
    "koordinator@example-hospital.se",
    "ortoped1@example-hospital.se",
    "ortoped2@example-hospital.se",
    "endokrinolog@example-hospital.se",
    "genetiker@example-hospital.se",
    "fysioterapeut@example-hospital.se",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, env: dict) -> None:
    if url.startswith("postgresql"):
        fresh_database(url)
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)


def client_loop(base: str, email: str, case_ids: list[int], stop: float, results: list, lock: threading.Lock) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def request(path, data=None):
        began = time.perf_counter()
        try:
            response = opener.open(
                base + path, data=urllib.parse.urlencode(data, doseq=True).encode() if data else None, timeout=30
            )
            status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode(errors="replace")
        except OSError:
            status, body = 599, ""
        with lock:
            results.append((time.perf_counter() - began, status, path, data is not None))
        return status, body

    def token(path):
        _status, body = request(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
        return match.group(1) if match else ""

    request("/login", {"email": email, "password": PASSWORD, "csrf_token": token("/login")})
    n = 0
    while time.monotonic() < stop:
        case_id = case_ids[n % len(case_ids)]
        request("/")
        request("/conferences/")
        csrf = token(f"/cases/{case_id}")
        status, _ = request(f"/cases/{case_id}/notes", {"text": f"Belastningstest {email} {n}", "csrf_token": csrf})
        n += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run(name: str, url: str) -> None:
    port = free_port()
    folder = tempfile.mkdtemp()
    env = {
        **os.environ,
        "FLASK_APP": "conference",
        "CONFERENCE_ENV": "development",
        "CONFERENCE_DATABASE_URL": url,
        "CONFERENCE_MAIL_FILE_DIRECTORY": folder,
        "CONFERENCE_SCHEDULER_HEARTBEAT": f"{folder}/heartbeat",
    }
    prepare(url, env)
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        case_ids = [r[0] for r in connection.execute(sa.text("SELECT id FROM cases ORDER BY id LIMIT 6"))]
        notes_before = connection.execute(sa.text("SELECT count(*) FROM pre_conference_notes")).scalar()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "conference:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        results, lock = [], threading.Lock()
        stop = time.monotonic() + SECONDS
        threads = [
            threading.Thread(
                target=client_loop, args=(base, CLINICIANS[i % len(CLINICIANS)], case_ids, stop, results, lock)
            )
            for i in range(CLIENTS)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        server.terminate()
        scheduler.terminate()
        server.wait(timeout=30)
        scheduler.wait(timeout=30)
    with engine.connect() as connection:
        notes_after = connection.execute(sa.text("SELECT count(*) FROM pre_conference_notes")).scalar()
    engine.dispose()
    times = sorted(r[0] * 1000 for r in results)
    errors = sum(1 for r in results if r[1] >= 500)
    saved = sum(1 for r in results if r[3] and "/notes" in r[2] and r[1] == 302)
    lost = saved - (notes_after - notes_before)
    print(
        f"{name:10} {CLIENTS} clients {SECONDS:.0f} s: {len(results) / elapsed:7.1f} req/s  "
        f"p50 {statistics.median(times):6.1f} ms  p99 {times[int(len(times) * 0.99) - 1]:7.1f} ms  "
        f"5xx {errors}  notes saved {saved}, lost {lost}"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{folder}/load.db")
    run("PostgreSQL", postgres_url("load"))
