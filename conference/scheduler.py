"""APScheduler wiring only: a BlockingScheduler in its own process (`flask scheduler`), never in web workers.
Jobs are interval sweeps over the database, safe to run twice; each job owns its transaction.

A job never takes the process down: every sweep runs inside a guard that logs a failure at ERROR (what operations
alert on) and leaves the next interval to try again. After each sweep a heartbeat file is touched, which
`flask scheduler --check` reads for the service manager. SIGTERM lets the sweep in progress finish the email in
hand, give back the rest of its batch, and stop."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from conference import transaction
from conference.extensions import db

log = logging.getLogger("conference.scheduler")


def heartbeat_path(app: Flask) -> Path:
    configured = app.config.get("SCHEDULER_HEARTBEAT_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "scheduler.heartbeat"


def _beat(app: Flask) -> None:
    path = heartbeat_path(app)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(datetime.now(timezone.utc).isoformat())
    except OSError as error:
        log.error("scheduler: cannot write the heartbeat %s: %s", path, error)


def check(app: Flask, max_age_seconds: float | None = None) -> tuple[bool, str]:
    """Is the scheduler alive? True when its heartbeat is younger than three outbox intervals."""
    path = heartbeat_path(app)
    limit = max_age_seconds or 3 * app.config["SCHEDULER_OUTBOX_INTERVAL"] + 60
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return False, f"no heartbeat at {path}"
    return age <= limit, f"last sweep {age:.0f} s ago (limit {limit:.0f} s)"


def _guarded(name: str, app: Flask, work) -> None:
    """Run one sweep; any failure is logged at ERROR and the process goes on."""
    with app.app_context():
        try:
            work()
        except Exception:  # noqa: BLE001 - a sweep must never end the scheduler
            log.exception("scheduler: %s failed; trying again at the next interval", name)
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001
                pass
        finally:
            db.session.remove()
            _beat(app)


def job_dispatch_outbox(app: Flask, stop: threading.Event | None = None) -> None:
    from conference.notifications import outbox

    def work():
        result = outbox.dispatch_outbox(should_stop=stop.is_set if stop else None)
        if result.claimed:
            log.info(
                "outbox: %d sent, %d retrying, %d failed, %d given back",
                result.sent,
                result.retrying,
                result.failed,
                result.released,
            )

    _guarded("outbox", app, work)


def job_queue_reminders(app: Flask) -> None:
    from conference.conferences import services as conferences

    def work():
        with transaction.unit_of_work():
            created = conferences.extend_all_series()
            queued = conferences.queue_reminders()
        if created or queued:
            log.info("reminders: %d queued; %d new occurrences", queued, created)

    _guarded("reminders", app, work)


def job_letter_answers(app: Flask) -> None:
    """Letters without the patient's answer after their date become actions for the coordinators."""
    from conference import transaction
    from conference.letters import services as letters

    def work():
        with transaction.unit_of_work():
            created = letters.sweep_unanswered()
        if created:
            log.info("letters: %d without an answer by their date", created)

    _guarded("letter answers", app, work)


def wait_for_database(
    app: Flask, stop: threading.Event, *, first_wait: float = 1.0, longest_wait: float = 30.0
) -> bool:
    """Block until the database answers (or stop is set): a scheduler started before its database keeps waiting
    instead of dying. Returns False when stopped first."""
    wait = first_wait
    while not stop.is_set():
        with app.app_context():
            try:
                db.session.execute(text("SELECT 1"))
                return True
            except Exception as error:  # noqa: BLE001
                log.error("scheduler: the database does not answer (%s); trying again in %.0f s", error, wait)
            finally:
                db.session.remove()
        stop.wait(wait)
        wait = min(wait * 2, longest_wait)
    return False


def build_scheduler(app: Flask, stop: threading.Event | None = None):
    from apscheduler.schedulers.blocking import BlockingScheduler

    cfg = app.config
    # Missed runs collapse into one, a run never overlaps the previous, and a late run still happens. The first
    # runs start at once, inside the scheduler (and its error handling), instead of waiting a whole interval.
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    scheduler = BlockingScheduler(timezone=cfg["CONFERENCE_TIMEZONE"], job_defaults=options)
    now = datetime.now(timezone.utc)
    # (job, interval in seconds, arguments, id): every sweep starts at once, inside the scheduler's error handling.
    sweeps = (
        (job_dispatch_outbox, cfg["SCHEDULER_OUTBOX_INTERVAL"], [app, stop], "dispatch_outbox"),
        (job_queue_reminders, cfg["SCHEDULER_REMINDER_INTERVAL"], [app], "queue_reminders"),
        (job_letter_answers, cfg["SCHEDULER_REMINDER_INTERVAL"], [app], "letter_answers"),
    )
    for job, seconds, args, job_id in sweeps:
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            args=args,
            id=job_id,
            replace_existing=True,
            next_run_time=now,
            **options,
        )
    return scheduler
