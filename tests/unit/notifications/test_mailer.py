"""The MIME message the outbox sends, parsed back the way a mail program reads it (the email package's default
policy): headers, the alternative parts, the calendar method and attachments survive, Swedish included."""

from __future__ import annotations

from email import message_from_bytes, policy
from types import SimpleNamespace

import icalendar

from conference.notifications.mailer import build_message

ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:a@b",
        "SUMMARY:Benlängdskonferens",
        "DTSTAMP:20260101T000000Z",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def email(**fields):
    values = dict(
        recipient="ortoped@example-hospital.se",
        subject="Kallelse: MDT-konferens för benlängd 25 nov",
        message_id="<1.mdt@example-hospital.se>",
        text_body="Hej!\nVälkommen till konferensen. " + "Lång rad " * 20,
        html_body=None,
        ics=None,
        ics_method=None,
        attachments=[],
    )
    values.update(fields)
    return SimpleNamespace(**values)


def parsed(message):
    return message_from_bytes(bytes(message), policy=policy.default)


def test_plain_text_email_reads_back_with_swedish_subject_and_body():
    message = parsed(build_message(email(), "Ortopedkliniken Östra <mdt@example-hospital.se>"))
    assert message["Subject"] == "Kallelse: MDT-konferens för benlängd 25 nov"
    assert message["From"].addresses[0].display_name == "Ortopedkliniken Östra"
    assert message["From"].addresses[0].addr_spec == "mdt@example-hospital.se"
    assert message["To"] == "ortoped@example-hospital.se"
    assert message["Message-ID"] == "<1.mdt@example-hospital.se>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "text/plain"
    assert message.get_content().rstrip("\n") == email().text_body
    assert all(len(line) <= 78 for line in bytes(build_message(email(), "mdt@example-hospital.se")).splitlines())


def test_invitation_has_text_html_and_calendar_with_its_method():
    message = parsed(build_message(email(html_body="<p>Välkommen</p>", ics=ICS, ics_method="REQUEST"), "a@b.se"))
    assert message.get_content_type() == "multipart/alternative"
    text, html, calendar = message.iter_parts()
    assert text.get_content().startswith("Hej!\nVälkommen")
    assert html.get_content_type() == "text/html" and "Välkommen" in html.get_content()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    event = icalendar.Calendar.from_ical(calendar.get_content()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Benlängdskonferens"


def test_attachments_wrap_the_body_in_multipart_mixed():
    docx = bytes(range(256)) * 10
    attachment = SimpleNamespace(
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        data=docx,
        filename="protokoll-höst.docx",
    )
    message = parsed(build_message(email(html_body="<p>x</p>", attachments=[attachment]), "a@b.se"))
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)).get_content().startswith("Hej!")
    (received,) = list(message.iter_attachments())
    assert received.get_filename() == "protokoll-höst.docx"
    assert received.get_content() == docx
