"""Benchmark: the quality page at 1k and 100k cases (SQLite file), beside the lightest signed-in page of the same
app as its floor. Prints the median of N requests (ms), the SQL statements per page, and the page size.

The unit is generated with bulk inserts (patients, cases, status history, one held meeting every 4 weeks with its
case list, attendance and decisions) spread over ten years, as a unit accumulates them; the page shows its default
period, the last twelve months, so it should grow with what it shows, not with the database.
Run: .venv/bin/python bench/quality.py [runs]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select  # noqa: E402

from conference import create_app  # noqa: E402
from conference.extensions import db  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def build(app, cases: int) -> str:
    from flask_migrate import upgrade

    from conference.agenda.models import AgendaItem
    from conference.cases.models import Case, CaseEvent
    from conference.conferences.models import Conference
    from conference.meetings.models import Attendance, Decision
    from conference.patients.models import Patient
    from conference.people import services as people

    rng = random.Random(1)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with app.app_context():
        upgrade()
        user = people.create_user(
            email="k@example-hospital.se", name="K", role="coordinator", password="bench-password-1"
        )
        db.session.commit()
        meetings = [now - timedelta(days=3650 - 28 * k) for k in range(130)]
        db.session.execute(
            insert(Conference),
            [
                {
                    "id": k + 1,
                    "title": "MDT",
                    "starts_at": m,
                    "ends_at": m + timedelta(hours=2),
                    "capacity": 10_000,
                    "case_deadline_hours": 48,
                    "status": "held",
                    "ical_uid": f"bench-{k}",
                    "ical_sequence": 0,
                    "version": 1,
                    "created_at": m,
                    "updated_at": m,
                }
                for k, m in enumerate(meetings)
            ],
        )
        db.session.execute(
            insert(Attendance), [{"conference_id": k + 1, "user_id": user.id, "status": "present"} for k in range(130)]
        )
        for chunk in range(0, cases, 10_000):
            n = min(10_000, cases - chunk)
            db.session.execute(
                insert(Patient),
                [
                    {
                        "id": chunk + i + 1,
                        "national_id": f"19{chunk + i:010d}",
                        "id_kind": "reserve",
                        "given_name": "X",
                        "family_name": "Y",
                        "sex": "female",
                        "date_of_birth": now.date() - timedelta(days=4000),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(n)
                ],
            )
            rows, events, items, decisions = [], [], [], []
            for i in range(n):
                case_id = chunk + i + 1
                meeting = rng.randrange(130)
                referred = meetings[meeting] - timedelta(days=rng.randint(20, 80))
                rows.append(
                    {
                        "id": case_id,
                        "patient_id": case_id,
                        "referring_clinician": "Dr",
                        "status": "decided",
                        "referred_at": referred,
                        "growth_pattern": "congenital",
                        "priority": "routine",
                        "required_specialties": [],
                        "version": 1,
                        "created_at": referred,
                        "updated_at": referred,
                        "diagnosis": "post_traumatic",
                    }
                )
                for step, days in (("referred", 0), ("ready", 3), ("listed", 12), ("discussed", 20), ("decided", 20)):
                    events.append({"case_id": case_id, "to_status": step, "at": referred + timedelta(days=days)})
                items.append(
                    {
                        "id": case_id,
                        "conference_id": meeting + 1,
                        "case_id": case_id,
                        "position": i + 1,
                        "minutes_allotted": 5,
                        "outcome": "discussed",
                        "version": 1,
                        "created_at": referred,
                        "updated_at": referred,
                    }
                )
                decisions.append(
                    {
                        "agenda_item_id": case_id,
                        "case_id": case_id,
                        "conference_id": meeting + 1,
                        "treatment": "insoles",
                        "rationale": "-",
                        "patient_response": "accepted",
                        "version": 1,
                        "created_at": referred,
                        "updated_at": referred,
                    }
                )
            db.session.execute(insert(Case), rows)
            db.session.execute(insert(CaseEvent), events)
            db.session.execute(insert(AgendaItem), items)
            db.session.execute(insert(Decision), decisions)
            db.session.commit()
        assert db.session.scalar(select(db.func.count(Case.id))) == cases
    return "k@example-hospital.se"


def measure(cases: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db", WTF_CSRF_ENABLED=False)
        email = build(app, cases)
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "bench-password-1"})
        url = "/quality/"  # the default period: the last twelve months
        figures = {}
        for name, target in (("floor: calendar feed settings", "/conferences/calendar-feed"), ("quality page", url)):
            statements = []
            with app.app_context():
                listener = lambda *a: statements.append(1)  # noqa: E731
                event.listen(db.engine, "before_cursor_execute", listener)
            client.get(target)  # warm
            statements.clear()
            times = []
            size = 0
            for _ in range(RUNS):
                began = time.perf_counter()
                response = client.get(target)
                times.append((time.perf_counter() - began) * 1000)
                size = len(response.data)
                assert response.status_code == 200, response.status_code
            figures[name] = (statistics.median(times), len(statements) // RUNS, size)
        return figures


if __name__ == "__main__":
    for cases in (1_000, 100_000):
        began = time.perf_counter()
        figures = measure(cases)
        print(f"{cases:>7} cases (built in {time.perf_counter() - began:.0f} s)")
        for name, (ms, statements, size) in figures.items():
            print(f"    {name:32} p50 {ms:8.1f} ms   {statements:3d} SQL statements   {size / 1024:7.1f} KiB")
