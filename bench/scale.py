"""Pages at 1k and at 100k cases (a figure, not a timed test): does a page grow with the database or with what it
shows? A generator builds a unit of ten years with bulk inserts, then each page is requested in-process (the same
app, SQLite file) and its median time, SQL statements and size are printed at both sizes.

At 100k cases: 100k patients (with their name index), 100k cases, 300k measurements, 5k conferences, 200k agenda
items, 50k decisions, 1M audit events; plus what the pages show: an upcoming conference with 40 listed cases, a
ready queue of 1,000, and a patient whose access log holds 600 events. Targets (issue 15): p50 at 100k within 2x of
1k for every page; no page over 100 KiB.

Run: .venv/bin/python bench/scale.py [runs] [sizes, e.g. 1000,100000]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select  # noqa: E402

from conference import create_app  # noqa: E402
from conference.extensions import db  # noqa: E402

# Arguments are read only when run as a script: bench/explain.py and bench/memory.py import this module.
ARGS = sys.argv if __name__ == "__main__" else []
RUNS = int(ARGS[1]) if len(ARGS) > 1 else 7
SIZES = [int(s) for s in ARGS[2].split(",")] if len(ARGS) > 2 else [1_000, 100_000]
PASSWORD = "bench-password-1"
CHUNK = 5_000


def generate(app, cases: int) -> dict:
    """The unit, in bulk. Returns the ids the pages need."""
    from flask_migrate import upgrade

    from conference.agenda.models import AgendaItem
    from conference.audit.models import AuditEvent
    from conference.cases.models import Case, CaseEvent, Measurement
    from conference.conferences.models import Conference, Invitation
    from conference.meetings.models import Attendance, Decision
    from conference.patients.models import Patient, PatientNameTerm
    from conference.people import services as people

    rng = random.Random(2026)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    conferences = max(cases // 20, 10)
    with app.app_context():
        upgrade()
        coordinator = people.create_user(
            email="k@example-hospital.se", name="Karin K", role="coordinator", password=PASSWORD
        )
        admin = people.create_user(email="a@example-hospital.se", name="Ingrid A", role="admin", password=PASSWORD)
        surgeon = people.create_user(
            email="o@example-hospital.se",
            name="Erik O",
            role="specialist",
            specialty="orthopaedic_surgeon",
            password=PASSWORD,
        )
        db.session.commit()
        staff = [coordinator.id, surgeon.id]
        # conferences: held over ten years, the last one upcoming (next week) with 40 listed ready cases
        starts = [now - timedelta(days=3650) + timedelta(days=3650 * k / conferences) for k in range(conferences)]
        starts[-1] = now + timedelta(days=7)
        db.session.execute(
            insert(Conference),
            [
                {
                    "id": k + 1,
                    "title": "MDT benförlängning",
                    "starts_at": s,
                    "ends_at": s + timedelta(hours=2),
                    "capacity": 60,
                    "case_deadline_hours": 48,
                    "status": "held" if k < conferences - 1 else "scheduled",
                    "ical_sequence": 0,
                    "version": 1,
                    "created_at": s,
                    "updated_at": s,
                    "location": "Rum 3",
                    "chair_id": surgeon.id,
                }
                for k, s in enumerate(starts)
            ],
        )
        db.session.execute(
            insert(Invitation),
            [
                {"conference_id": k + 1, "user_id": u, "role": "required", "response": "accepted"}
                for k in range(conferences)
                for u in staff
            ],
        )
        db.session.execute(
            insert(Attendance),
            [
                {"conference_id": k + 1, "user_id": u, "status": "present"}
                for k in range(conferences - 1)
                for u in staff
            ],
        )
        upcoming = conferences
        ready_from = cases - 1_040 if cases > 2_000 else cases - max(cases // 10, 45)
        item_id = 0
        position_in = {}
        for chunk in range(0, cases, CHUNK):
            n = min(CHUNK, cases - chunk)
            patients, terms, rows, events, measurements, items, decisions, audit = [], [], [], [], [], [], [], []
            for i in range(n):
                case_id = chunk + i + 1
                birth = date(2008, 1, 1) + timedelta(days=case_id % 5000)
                patients.append(
                    {
                        "id": case_id,
                        "national_id": f"{birth:%Y%m%d}{case_id // 5000 % 10000:04d}",
                        "id_kind": "reserve",
                        "given_name": f"Barn{case_id}",
                        "family_name": f"Testsson{case_id}",
                        "sex": "female",
                        "date_of_birth": birth,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                terms += [
                    {"patient_id": case_id, "term": f"barn{case_id}"},
                    {"patient_id": case_id, "term": f"testsson{case_id}"},
                ]
                ready = case_id > ready_from
                meeting = rng.randrange(conferences - 1)
                referred = (
                    starts[meeting] - timedelta(days=rng.randint(20, 80))
                    if not ready
                    else now - timedelta(days=rng.randint(1, 90))
                )
                rows.append(
                    {
                        "id": case_id,
                        "patient_id": case_id,
                        "referring_clinician": "Dr Remiss",
                        "question": "Förlängning?",
                        "clinical_summary": "Benlängdsskillnad.",
                        "diagnosis": "post_traumatic",
                        "side": "left",
                        "patient_wishes": "Spela fotboll.",
                        "status": "ready" if ready else rng.choice(["decided", "closed", "follow_up"]),
                        "referred_at": referred,
                        "growth_pattern": "congenital",
                        "priority": rng.choice(["routine", "soon", "urgent"]),
                        "required_specialties": ["orthopaedic_surgeon"],
                        "version": 1,
                        "created_at": referred,
                        "updated_at": referred,
                    }
                )
                events.append({"case_id": case_id, "to_status": "referred", "at": referred})
                for k in range(10 if case_id == 1 else 3):
                    measurements.append(
                        {
                            "case_id": case_id,
                            "measured_on": birth + timedelta(days=900 + 200 * k),
                            "method": "standing_radiograph",
                            "lld_mm": 10.0 + k,
                            "long_leg_mm": 600.0 + 10 * k,
                            "short_leg_mm": 590.0 + 9 * k,
                        }
                    )
                listings = [meeting] if not ready else []
                if ready and case_id > cases - 40:
                    listings = [upcoming - 1]
                elif not ready:
                    second = rng.randrange(conferences - 1)
                    if second != meeting:
                        listings.append(second)
                for number, conference_index in enumerate(listings):
                    item_id += 1
                    position_in[conference_index] = position_in.get(conference_index, 0) + 1
                    pending = conference_index == upcoming - 1
                    items.append(
                        {
                            "id": item_id,
                            "conference_id": conference_index + 1,
                            "case_id": case_id,
                            "position": position_in[conference_index],
                            "minutes_allotted": 5,
                            "outcome": "pending" if pending else ("discussed" if number == 0 else "deferred"),
                            "version": 1,
                            "created_at": referred,
                            "updated_at": referred,
                        }
                    )
                    if number == 0 and not pending and case_id % 2 == 0:
                        decisions.append(
                            {
                                "agenda_item_id": item_id,
                                "case_id": case_id,
                                "conference_id": conference_index + 1,
                                "treatment": "insoles",
                                "rationale": "Inlägg.",
                                "patient_response": "accepted",
                                "version": 1,
                                "created_at": referred,
                                "updated_at": referred,
                            }
                        )
                views = 600 if case_id == 2 else 10
                audit += [
                    {
                        "at": referred + timedelta(minutes=v),
                        "actor_id": coordinator.id,
                        "action": "case.view",
                        "target_type": "case",
                        "target_id": case_id,
                        "patient_id": case_id,
                    }
                    for v in range(views)
                ]
            db.session.execute(insert(Patient), patients)
            db.session.execute(insert(PatientNameTerm), terms)
            db.session.execute(insert(Case), rows)
            db.session.execute(insert(CaseEvent), events)
            db.session.execute(insert(Measurement), measurements)
            db.session.execute(insert(AgendaItem), items)
            if decisions:
                db.session.execute(insert(Decision), decisions)
            db.session.execute(insert(AuditEvent), audit)
            db.session.commit()
        counts = {
            m.__tablename__: db.session.scalar(select(db.func.count()).select_from(m))
            for m in (Patient, Case, Measurement, Conference, AgendaItem, Decision, AuditEvent)
        }
        number = db.session.scalar(select(Patient.national_id).where(Patient.id == 2))
        return {
            "conference": upcoming,
            "case": 1,
            "logged": 2,
            "admin": admin.email,
            "counts": counts,
            "number": number,
        }


PAGES = [
    ("lightest signed-in page", "GET", "/conferences/calendar-feed"),
    ("dashboard", "GET", "/"),
    ("conferences list", "GET", "/conferences/"),
    ("archive", "GET", "/conferences/archive"),
    ("cases index", "GET", "/cases/"),
    ("patient search, a name (50 shown)", "POST", "/patients/"),
    ("patient search, an identity number", "POST", "/patients/#number"),
    ("case summary", "GET", "/cases/{case}"),
    ("conference page, 40 cases", "GET", "/conferences/{conference}"),
    ("live meeting page, 40 cases", "GET", "/meetings/{conference}"),
    ("printable case list", "GET", "/cases/agenda/{conference}/print"),
]


def measure(cases: int) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
            WTF_CSRF_ENABLED=False,
            MAIL_FILE_DIRECTORY=folder,
        )
        began = time.perf_counter()
        ids = generate(app, cases)
        built = time.perf_counter() - began
        figures = {}
        for who, pages in (
            ("k@example-hospital.se", PAGES),
            (
                ids["admin"],
                [
                    ("access log, 600 events (admin)", "GET", "/patients/{logged}/access-log"),
                    ("audit log (admin)", "GET", "/admin/audit/"),
                ],
            ),
        ):
            client = app.test_client()
            assert client.post("/login", data={"email": who, "password": PASSWORD}).status_code == 302
            for name, method, path in pages:
                url = path.format(**ids)
                data = None
                if method == "POST":  # "testsson1" matches over 50 patients at both sizes; the number matches one
                    data = {"q": ids["number"] if url.endswith("#number") else "testsson1"}
                    url = url.split("#")[0]
                statements = []
                with app.app_context():
                    listener = lambda *a: statements.append(1)  # noqa: E731
                    event.listen(db.engine, "before_cursor_execute", listener)
                client.open(url, method=method, data=data)  # warm
                statements.clear()
                times, size = [], 0
                for _ in range(RUNS):
                    start = time.perf_counter()
                    response = client.open(url, method=method, data=data)
                    times.append((time.perf_counter() - start) * 1000)
                    size = len(response.data)
                    assert response.status_code == 200, (url, response.status_code)
                with app.app_context():
                    event.remove(db.engine, "before_cursor_execute", listener)
                figures[name] = (statistics.median(times), len(statements) // RUNS, size)
        with app.app_context():
            db.engine.dispose()
        return figures, {"built_s": built, **ids["counts"]}


if __name__ == "__main__":
    results = {}
    for cases in SIZES:
        figures, info = measure(cases)
        results[cases] = figures
        print(f"{cases:>7} cases: built in {info.pop('built_s'):.0f} s; rows: {info}")
    sizes = sorted(results)
    print(f"\n{'page':36} " + " ".join(f"{f'p50 ms @{s}':>13} {'SQL':>4} {'KiB':>6}" for s in sizes) + "   growth")
    for name in results[sizes[0]]:
        cells = " ".join(
            f"{results[s][name][0]:13.1f} {results[s][name][1]:4d} {results[s][name][2] / 1024:6.1f}" for s in sizes
        )
        growth = results[sizes[-1]][name][0] / results[sizes[0]][name][0]
        print(f"{name:36} {cells}   {growth:5.2f}x")
