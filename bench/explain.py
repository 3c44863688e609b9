"""Query plans at 100k cases (a report, not a timed test): every SELECT the pages of bench/scale.py run (and the
scheduler's sweeps) is captured with its parameters and explained on the generated unit; full scans of large
tables are listed. SQLite by default; PostgreSQL with CONFERENCE_BENCH_PG_URL set to a conference_bench_* database (EXPLAIN, after ANALYZE).

Run: .venv/bin/python bench/explain.py [cases]
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text  # noqa: E402

from bench.scale import PAGES, PASSWORD, generate  # noqa: E402
from conference import create_app  # noqa: E402
from conference.extensions import db  # noqa: E402

CASES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
LARGE = {
    "patients",
    "cases",
    "measurements",
    "agenda_items",
    "decisions",
    "audit_events",
    "patient_name_terms",
    "case_events",
    "conferences",
    "outbound_emails",
    "invitations",
    "attendance",
}


def main() -> None:
    folder = tempfile.mkdtemp(prefix="conference-explain-")
    url = f"sqlite:///{folder}/bench.db"
    if os.environ.get("CONFERENCE_BENCH_PG_URL"):
        from bench.database import fresh_database, postgres_url

        url = postgres_url("explain")
        fresh_database(url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False, MAIL_FILE_DIRECTORY=folder)
    ids = generate(app, CASES)
    captured: list[tuple[str, str, object]] = []
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()

        def capture(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT") and not executemany:
                captured.append((current[0], statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
    current = ["sweeps"]
    with app.app_context():
        from conference.conferences import services as conferences
        from conference.notifications import outbox
        from conference.notifications import services as notifications

        conferences.queue_reminders()
        notifications.problems()
        outbox.dispatch_outbox()
        db.session.rollback()
    for who, pages in (
        ("k@example-hospital.se", PAGES),
        (ids["admin"], [("access log", "GET", "/patients/{logged}/access-log")]),
    ):
        client = app.test_client()
        client.post("/login", data={"email": who, "password": PASSWORD})
        for name, method, path in pages:
            current[0] = name
            target = path.format(**ids).split("#")[0]
            data = {"q": ids["number"] if path.endswith("#number") else "testsson1"} if method == "POST" else None
            client.open(target, method=method, data=data)
    findings, seen = [], set()
    with app.app_context():
        connection = db.engine.raw_connection()
        cursor = connection.cursor()
        for page, statement, parameters in captured:
            key = (page, statement)
            if key in seen:
                continue
            seen.add(key)
            if url.startswith("postgresql"):
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                scans = re.findall(r"Seq Scan on (\w+)", plan)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
                scans = re.findall(r"\bSCAN (\w+)(?! USING)", plan)
            big = [table for table in scans if table in LARGE]
            if big:
                findings.append((page, big, " ".join(statement.split())[:220]))
        connection.close()
    print(f"{len(seen)} distinct statements explained at {CASES} cases ({url.split(':')[0]})")
    for page, tables, statement in findings:
        print(f"- {page}: full scan of {', '.join(tables)}: {statement}")
    if not findings:
        print("no full scan of a large table")


if __name__ == "__main__":
    main()
