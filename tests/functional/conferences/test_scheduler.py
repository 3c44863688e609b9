from datetime import timedelta

from sqlalchemy import select

from conference.conferences import services
from conference.conferences.models import InvitationRole
from conference.extensions import db
from conference.notifications.models import EmailStatus, OutboundEmail
from conference.people.models import User
from conference.scheduler import build_scheduler, job_dispatch_outbox, job_queue_reminders


def test_scheduler_jobs_are_interval_sweeps_that_coalesce_and_never_overlap(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"dispatch_outbox", "queue_reminders", "letter_answers"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 300
    assert jobs["dispatch_outbox"].trigger.interval == timedelta(seconds=app.config["SCHEDULER_OUTBOX_INTERVAL"])
    assert str(scheduler.timezone) == "Europe/Stockholm"


def test_the_jobs_queue_reminders_and_send_them(app, smtp, make_user):
    user_id, email = make_user("specialist")
    now = app.extensions["clock"].now()
    with app.app_context():
        user = db.session.get(User, user_id)
        services.book_conference(
            actor=user,
            title="MDT",
            starts_at=now + timedelta(hours=5),
            ends_at=now + timedelta(hours=6),
            location=None,
            video_link=None,
            capacity=3,
            case_deadline_hours=1,
            chair=None,
            participants=[services.Participant(user, InvitationRole.required)],
        )
        db.session.commit()
    for _ in range(2):  # running a sweep twice changes nothing more
        job_queue_reminders(app)
        job_dispatch_outbox(app)
    with app.app_context():
        rows = db.session.execute(select(OutboundEmail.kind, OutboundEmail.status)).all()
    assert sorted(rows) == [("invite", EmailStatus.sent), ("reminder_day_before", EmailStatus.sent)]
    assert [m["To"] for m in smtp.parsed()] == [email, email]
