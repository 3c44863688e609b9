"""APScheduler wiring only: a BlockingScheduler in its own process (`flask scheduler`), never in web workers.
Jobs are interval sweeps over the database, safe to run twice; each job owns its transaction."""

from __future__ import annotations

import logging

from flask import Flask

from conference.extensions import db

log = logging.getLogger("conference.scheduler")


def job_dispatch_outbox(app: Flask) -> None:
    from conference.notifications import services as notifications

    with app.app_context():
        try:
            result = notifications.dispatch_outbox()
            if result.claimed:
                log.info("outbox: %d sent, %d retrying, %d failed", result.sent, result.retrying, result.failed)
        finally:
            db.session.remove()


def job_queue_reminders(app: Flask) -> None:
    from conference.conferences import services as conferences

    with app.app_context():
        try:
            created = conferences.extend_all_series()
            queued = conferences.queue_reminders()
            db.session.commit()
            if created or queued:
                log.info("reminders: %d queued; %d new occurrences", queued, created)
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def build_scheduler(app: Flask):
    from apscheduler.schedulers.blocking import BlockingScheduler

    cfg = app.config
    # Missed runs collapse into one, a run never overlaps the previous, and a late run still happens.
    options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    scheduler = BlockingScheduler(timezone=cfg["CONFERENCE_TIMEZONE"], job_defaults=options)
    scheduler.add_job(
        job_dispatch_outbox,
        "interval",
        seconds=cfg["SCHEDULER_OUTBOX_INTERVAL"],
        args=[app],
        id="dispatch_outbox",
        replace_existing=True,
        **options,
    )
    scheduler.add_job(
        job_queue_reminders,
        "interval",
        seconds=cfg["SCHEDULER_REMINDER_INTERVAL"],
        args=[app],
        id="queue_reminders",
        replace_existing=True,
        **options,
    )
    return scheduler
