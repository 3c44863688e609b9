"""Page throughput beside the framework's floor (a figure, not a timed test).

gunicorn with 2 sync workers serves the app on the demo unit plus a conference with 40 listed cases, and, in the
same run, a Flask hello-world with the same settings. wrk (-t2 -c16 -d8s by default) loads each page signed in as
the coordinator; floor and page alternate for ROUNDS rounds and the medians are printed: requests/s, the share of
the floor's requests/s, p50 latency and the page's size. Targets (issue 15): >= 25% of the floor for the case
summary, dashboard, cases index, conferences list and patient search; >= 10% for the pages that show 40 cases;
>= 50% for the lightest signed-in page. The first two rows are no pages at all (bench/framework.py): what signing in
costs, and signing in plus the one audit event every patient page commits: the ceiling for the pages below them.

Run: .venv/bin/python bench/pages.py [sqlite|postgresql|both] [seconds] [rounds]
(PostgreSQL: its own database conference_bench_pages at 127.0.0.1:5432, re-created each run; bench/database.py)
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import fresh_database, postgres_url  # noqa: E402
from bench.load import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Arguments are read only when run as a script: other benchmarks import this module.
ARGS = sys.argv if __name__ == "__main__" else []
WHICH = ARGS[1] if len(ARGS) > 1 else "both"
SECONDS = int(ARGS[2]) if len(ARGS) > 2 else 8
ROUNDS = int(ARGS[3]) if len(ARGS) > 3 else 3
PASSWORD = "demo-konferens-2026"
COORDINATOR = "koordinator@example-hospital.se"
# Flask-Login's strong session protection ties a session to the browser: wrk sends the same User-Agent.
AGENT = "conference-bench"


def reset_database(url: str) -> None:
    """PostgreSQL: the benchmark's own database, dropped and created anew (SQLite files are new each run)."""
    if url.startswith("postgresql"):
        fresh_database(url)


def prepare(url: str, env: dict) -> dict:
    """Migrate, seed the demo, and add a conference with 40 listed cases. Returns the ids the pages need."""
    reset_database(url)
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    script = r"""
import json
from datetime import timedelta
from sqlalchemy import select
from conference import create_app
from conference.extensions import db
app = create_app()
with app.app_context():
    from conference.cases import services as cases
    from conference.cases.models import Case, CaseStatus, Measurement
    from conference.conferences.models import Conference, ConferenceStatus
    from conference.people.models import User
    from conference.patients.models import Patient
    from datetime import date
    from conference.patients import services as patients
    from conference.patients.identity import parse_identity_number
    from conference.seed import demo_identity
    coordinator = db.session.scalar(select(User).where(User.email == "koordinator@example-hospital.se"))
    conference = db.session.scalar(select(Conference).where(Conference.status == ConferenceStatus.scheduled).order_by(Conference.starts_at))
    conference.capacity = 60
    fields = dict(referring_clinician="Dr Remiss", question="Epifysiodes eller förlängning?",
                  clinical_summary="Benlängdsskillnad sedan födseln.", diagnosis="congenital_femoral_deficiency",
                  side="left", growth_pattern="congenital", patient_wishes="Vill spela fotboll.", priority="routine",
                  required_specialties=["orthopaedic_surgeon"])
    for n in range(40):
        identity = parse_identity_number(demo_identity(date(2014, 1, 1) + timedelta(days=n), f"{700 + n:03d}"))
        patient = patients.create_patient(identity=identity, given_name=f"Bench{n}", family_name=f"Testsson{n}",
                                          sex=identity.sex, actor=coordinator)
        case = cases.refer_case(patient=patient, actor=coordinator, fields=fields)
        for k in range(10 if n == 0 else 2):
            cases.add_measurement(case, cases.MeasurementInput(measured_on=date(2020, 1, 1) + timedelta(days=120 * k),
                method="standing_radiograph", lld_mm=20 + k, long_leg_mm=600 + 8 * k, short_leg_mm=580 + 7 * k), coordinator)
        cases.list_case(conference, case, coordinator, override_reason="bench")
    db.session.commit()
    measured = db.session.scalar(select(Case.id).join(Measurement).group_by(Case.id).order_by(db.func.count(Measurement.id).desc()).limit(1))
    patient = db.session.scalar(select(Patient).order_by(Patient.id))
    print(json.dumps({"conference": conference.id, "case": measured, "family": patient.family_name}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


def start_gunicorn(app: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{app} did not start")


def sign_in(base: str) -> tuple[str, str]:
    """The session cookie header of a signed-in coordinator, and a CSRF token for the search POST."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    token = next(g for g in token.groups() if g)
    opener.open(
        base + "/login",
        urllib.parse.urlencode({"email": COORDINATOR, "password": PASSWORD, "csrf_token": token}).encode(),
    )
    page = opener.open(base + "/patients/").read().decode()
    token = re.search(r'value="([^"]+)"[^>]*name="csrf_token"|name="csrf_token"[^>]*value="([^"]+)"', page)
    token = next(g for g in token.groups() if g)
    return "; ".join(f"{c.name}={c.value}" for c in jar), token


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wrk(url: str, cookie: str = "", script: str | None = None, errors: list | None = None) -> tuple[float, float]:
    """(requests/s, p50 ms). Answers that are not 2xx/3xx stop the benchmark, or are counted into `errors`."""
    command = ["wrk", "-t2", "-c16", f"-d{SECONDS}s", "--latency", "-H", f"User-Agent: {AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups()
    p50 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)  # a redirect to the login page would count
    if non2xx and errors is not None:
        errors.append(int(non2xx.group(1)))
    elif non2xx:
        raise SystemExit(f"{url}: {non2xx.group(1)} answers were not 2xx/3xx")
    return rate, p50


def run(database: str) -> None:
    folder = tempfile.mkdtemp(prefix="conference-pages-")
    url = postgres_url("pages") if database == "postgresql" else f"sqlite:///{folder}/bench.db"
    env = dict(
        os.environ,
        FLASK_APP="conference",
        CONFERENCE_DATABASE_URL=url,
        CONFERENCE_ENV="development",
        CONFERENCE_MAIL_FILE_DIRECTORY=folder,
    )
    ids = prepare(url, env)
    app_port, floor_port = free_port(), free_port()
    # The product's app with two benchmark-only routes: what a signed-in and an audited page cost at the least.
    app = start_gunicorn("bench.framework:app", app_port, env)
    floor = start_gunicorn("bench.hello:app", floor_port, env)
    base = f"http://127.0.0.1:{app_port}"
    try:
        cookie, token = sign_in(base)
        search = Path(folder) / "search.lua"
        search.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            f'wrk.body = "csrf_token={urllib.parse.quote(token)}&q={urllib.parse.quote(ids["family"])}"\n'
        )
        pages = [
            ("  (no page: signed in, nothing rendered)", "/bench/signed-in", None, 0),
            ("  (no page: signed in, one audit event committed)", "/bench/audited", None, 0),
            ("the lightest signed-in page (calendar feed settings)", "/conferences/calendar-feed", None, 50),
            ("dashboard", "/", None, 25),
            ("conferences list", "/conferences/", None, 25),
            ("cases index", "/cases/", None, 25),
            ("patient search", "/patients/", str(search), 25),
            ("case summary", f"/cases/{ids['case']}", None, 25),
            ("conference page with 40 cases", f"/conferences/{ids['conference']}", None, 10),
            ("live meeting page, 40 cases", f"/meetings/{ids['conference']}", None, 10),
            ("printable case list, 40 cases", f"/cases/agenda/{ids['conference']}/print", None, 10),
        ]
        print(
            f"\n{database}: gunicorn 2 sync workers, wrk -t2 -c16 -d{SECONDS}s, {ROUNDS} interleaved rounds (medians)"
        )
        print(f"{'page':<52} {'req/s':>8} {'floor':>8} {'share':>7} {'target':>7} {'p50 ms':>8} {'KiB':>6}")
        for label, path, script, target in pages:
            opener = urllib.request.build_opener(NoRedirect)
            opener.addheaders = [("Cookie", cookie), ("User-Agent", AGENT)]
            if script is None:
                response = opener.open(base + path)
                assert response.status == 200, (path, response.status)
                size = len(response.read()) / 1024
            else:
                size = 0
            floors, rates, p50s = [], [], []
            for _round in range(ROUNDS):
                floors.append(wrk(f"http://127.0.0.1:{floor_port}/")[0])
                rate, p50 = wrk(base + path, cookie, script)
                rates.append(rate)
                p50s.append(p50)
            share = statistics.median(rates) / statistics.median(floors) * 100
            print(
                f"{label:<52} {statistics.median(rates):>8.0f} {statistics.median(floors):>8.0f} {share:>6.1f}% "
                f"{('>=' + str(target) + '%') if target else '':>7} {statistics.median(p50s):>8.1f} {size:>6.0f}"
            )
    finally:
        for process in (app, floor):
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    for database in ("sqlite", "postgresql") if WHICH == "both" else (WHICH,):
        run(database)
