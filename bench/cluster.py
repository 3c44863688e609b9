"""Scale beyond one machine, shown (a figure, not a timed test): two app servers (separate gunicorn processes, 2
workers each, on different ports, as behind a load balancer) and two scheduler processes against one PostgreSQL,
under load from N clients split between the servers, while the schedulers drain EMAILS queued emails (and the
demo's) into a local SMTP sink. Prints requests/s, p50/p99, 5xx answers, writes lost, and whether every email
arrived exactly once (by Message-ID) and every row is marked sent.

Run: .venv/bin/python bench/cluster.py [clients] [seconds] [emails]   (PostgreSQL: its own database
conference_bench_cluster at 127.0.0.1:5432, re-created each run; bench/database.py)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from email import message_from_bytes
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import postgres_url  # noqa: E402
from bench.load import CLINICIANS, client_loop, free_port  # noqa: E402
from bench.pages import prepare  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 40
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 45
EMAILS = int(sys.argv[3]) if len(sys.argv) > 3 else 3_000


class Sink:
    def __init__(self):
        self.ids: Counter = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.ids[message["Message-ID"]] += 1
        return "250 OK"


def main() -> None:
    pg_url = postgres_url("cluster")
    from aiosmtpd.controller import Controller

    sink, smtp_port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    folder = tempfile.mkdtemp(prefix="conference-cluster-")
    env = dict(
        os.environ,
        FLASK_APP="conference",
        CONFERENCE_ENV="development",
        CONFERENCE_DATABASE_URL=pg_url,
        CONFERENCE_MAIL_BACKEND="smtp",
        CONFERENCE_SMTP_HOST="127.0.0.1",
        CONFERENCE_SMTP_PORT=str(smtp_port),
        CONFERENCE_SCHEDULER_OUTBOX_INTERVAL="5",
    )
    prepare(pg_url, env)
    queue = f"""
from conference import create_app
from conference.extensions import db
from conference.notifications import services as outbox
app = create_app()
with app.app_context():
    for n in range({EMAILS}):
        outbox.queue_email(dedupe_key=f"cluster-{{n}}", kind="reminder_day_before",
                           recipient=f"mottagare{{n % 50}}@example-hospital.se", subject=f"Påminnelse {{n}}",
                           text_body="Konferens i morgon.")
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", queue], cwd=ROOT, env=env, check=True, capture_output=True)
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        case_ids = [r[0] for r in connection.execute(sa.text("SELECT id FROM cases ORDER BY id LIMIT 6"))]
        notes_before = connection.execute(sa.text("SELECT count(*) FROM pre_conference_notes")).scalar()
        queued = connection.execute(sa.text("SELECT count(*) FROM outbound_emails")).scalar()
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "conference.wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    for n in range(2):
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "flask", "scheduler"],
                cwd=ROOT,
                env=dict(env, CONFERENCE_SCHEDULER_HEARTBEAT=f"{folder}/heartbeat{n}"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        for port in ports:
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
        results, lock = [], threading.Lock()
        stop = time.monotonic() + SECONDS
        threads = [
            threading.Thread(
                target=client_loop,
                args=(
                    f"http://127.0.0.1:{ports[i % 2]}",
                    CLINICIANS[i % len(CLINICIANS)],
                    case_ids,
                    stop,
                    results,
                    lock,
                ),
            )
            for i in range(CLIENTS)
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        deadline = time.monotonic() + 180  # let the schedulers finish the queue
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                unsent = connection.execute(
                    sa.text("SELECT count(*) FROM outbound_emails WHERE status <> 'sent'")
                ).scalar()
            if unsent == 0:
                break
            time.sleep(2)
        drained = time.monotonic() - began
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        controller.stop()
    with engine.connect() as connection:
        notes_after = connection.execute(sa.text("SELECT count(*) FROM pre_conference_notes")).scalar()
        sent = connection.execute(sa.text("SELECT count(*) FROM outbound_emails WHERE status = 'sent'")).scalar()
        total = connection.execute(sa.text("SELECT count(*) FROM outbound_emails")).scalar()
    engine.dispose()
    times = sorted(r[0] * 1000 for r in results)
    errors = sum(1 for r in results if r[1] >= 500)
    saved = sum(1 for r in results if r[3] and "/notes" in r[2] and r[1] == 302)
    lost = saved - (notes_after - notes_before)
    duplicates = sum(count - 1 for count in sink.ids.values() if count > 1)
    print(
        f"2 app servers x 2 workers + 2 schedulers, PostgreSQL, {CLIENTS} clients {SECONDS:.0f} s: "
        f"{len(results) / elapsed:.1f} req/s, p50 {statistics.median(times):.1f} ms, "
        f"p99 {times[int(len(times) * 0.99) - 1]:.1f} ms, 5xx {errors}, notes saved {saved}, lost {lost}"
    )
    print(
        f"emails: {queued} queued (more during the run: {total}), {sent} marked sent, {len(sink.ids)} distinct received, "
        f"{duplicates} duplicates; queue empty {drained:.0f} s after the start"
    )


if __name__ == "__main__":
    main()
