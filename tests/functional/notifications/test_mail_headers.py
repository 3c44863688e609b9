"""A line break in a header value (a conference title posted by a script, a row written by an older version) neither
injects a header nor stops the outbox: single-line form fields drop line breaks, the mailer writes every header on
one line, and a row that cannot be sent fails alone while the mail queued after it is delivered (real SMTP)."""

from __future__ import annotations

from sqlalchemy import select

from conference.conferences.models import Conference
from conference.extensions import db
from conference.notifications import outbox
from conference.notifications import services as notifications
from conference.notifications.models import EmailStatus, OutboundEmail
from tests.functional.conferences.helpers import post_booking


def _queue(app, subject: str, n: int, recipient: str | None = None) -> None:
    with app.app_context():
        notifications.queue_email(
            dedupe_key=f"test:{n}",
            kind="test",
            recipient=recipient or f"mottagare{n}@example-hospital.se",
            subject=subject,
            text_body="Hej",
        )
        db.session.commit()


def _dispatch(app):
    with app.app_context():
        try:
            return outbox.dispatch_outbox()
        finally:
            db.session.remove()


def test_mail_queued_after_a_subject_with_a_line_break_is_delivered(app, smtp):
    _queue(app, "MDT\r\nBcc: spion@example-hospital.se", 0)
    _queue(app, "Möte\nX-Injected: ja\r\n\r\nFalsk text", 1)
    _queue(app, "MDT\r", 2, recipient="mottagare2@example-hospital.se\r\nBcc: spion@example-hospital.se")
    for n in range(3, 6):
        _queue(app, f"Kallelse {n}", n)
    result = _dispatch(app)
    assert result.sent == 5 and result.failed == 1  # the row whose To hid a Bcc fails alone
    messages = smtp.parsed()
    assert len(messages) == 5
    for message in messages:
        assert "Bcc" not in message and "X-Injected" not in message
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
        assert message.get_content().strip() == "Hej"
    assert {m["Subject"] for m in messages} >= {"MDT Bcc: spion@example-hospital.se", "Kallelse 5"}
    assert not [rcpt for _sender, rcpts in smtp.envelopes for rcpt in rcpts if "spion" in rcpt]
    with app.app_context():
        statuses = dict(db.session.execute(select(OutboundEmail.dedupe_key, OutboundEmail.status)).all())
        assert statuses.pop("test:2") is EmailStatus.failed and set(statuses.values()) == {EmailStatus.sent}


def test_a_row_that_cannot_be_sent_fails_alone(app, smtp):
    """A row whose recipient is not one address (written before addresses were checked) cannot be sent: it fails,
    and the rest of the batch goes out over the same sweep."""
    _queue(app, "Kallelse 0", 0)
    with app.app_context():
        db.session.execute(
            OutboundEmail.__table__.update()
            .where(OutboundEmail.dedupe_key == "test:0")
            .values(recipient="a@example-hospital.se, b@example-hospital.se")
        )
        db.session.commit()
    for n in range(1, 4):
        _queue(app, f"Kallelse {n}", n)
    result = _dispatch(app)
    assert result.sent == 3 and result.failed == 1
    assert sorted(str(m["Subject"]) for m in smtp.parsed()) == ["Kallelse 1", "Kallelse 2", "Kallelse 3"]


def test_a_conference_title_posted_with_a_line_break_is_stored_on_one_line(app, client, smtp, make_user, signed_in):
    signed_in("coordinator")
    member = make_user("specialist", "orthopaedic_surgeon")[0]
    response = post_booking(
        client,
        title="MDT\r\nBcc: spion@example-hospital.se",
        location="Rum 3\nvåning 2",
        participants=[str(member)],
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        conference = db.session.scalar(select(Conference))
        assert conference.title == "MDT Bcc: spion@example-hospital.se"
        assert conference.location == "Rum 3 våning 2"
    assert _dispatch(app).sent == 1
    (message,) = smtp.parsed()
    assert "Bcc" not in message and "MDT Bcc" in str(message["Subject"])
