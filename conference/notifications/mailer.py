"""Building MIME messages (stdlib `email`) and handing them to SMTP or, in development, to .eml files."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from flask import current_app

from conference.notifications.models import OutboundEmail


class MailError(RuntimeError):
    pass


class RelayUnavailable(MailError):
    """The relay could not be reached, dropped the connection or did not answer in time: not the message's fault.
    If it happened after the message was handed over, the relay may have it: a retry carries the same Message-ID."""


class MessageRefused(MailError):
    """The relay answered and refused this message (a 4xx or 5xx reply to it)."""


def message_id(sender: str) -> str:
    """A Message-ID made once per outbox row and kept for every try, so a copy after a retry is recognisable."""
    return make_msgid(idstring="mdt", domain=sender.rsplit("@", 1)[-1].strip(">"))


def recipient_domain_allowed(address: str, allowed: list[str]) -> bool:
    domain = address.rsplit("@", 1)[-1].strip().lower()
    return domain in {d.lower() for d in allowed}


def build_message(email: OutboundEmail, sender: str) -> EmailMessage:
    """multipart/alternative (text, html, text/calendar; method=...) wrapped in multipart/mixed when there are
    attachments. The calendar part's method matches the METHOD inside it, as Outlook and Gmail require."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = email.message_id or message_id(sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text_body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    if email.ics:
        message.add_alternative(email.ics, subtype="calendar", params={"method": email.ics_method or "PUBLISH"})
    for attachment in email.attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        data = attachment.data
        if data is None:  # a stored document, read (and checked against its SHA-256) when the email is built
            from conference.documents import services as documents

            data = documents.read(attachment.document_id)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return message


class Backend(Protocol):
    def __enter__(self) -> "Backend": ...
    def __exit__(self, *exc) -> None: ...
    def send(self, message: EmailMessage) -> None: ...


class SMTPBackend:
    """One connection for a batch; TLS and login as configured."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self):
        cfg = self.config
        try:
            if cfg["SMTP_SSL"]:
                self.connection = smtplib.SMTP_SSL(
                    cfg["SMTP_HOST"],
                    cfg["SMTP_PORT"],
                    timeout=cfg["SMTP_TIMEOUT"],
                    context=ssl.create_default_context(),
                )
            else:
                self.connection = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"])
                if cfg["SMTP_STARTTLS"]:
                    self.connection.starttls(context=ssl.create_default_context())
            if cfg.get("SMTP_USER"):
                self.connection.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"] or "")
        except (OSError, smtplib.SMTPException) as error:
            self._close()
            raise RelayUnavailable(f"cannot connect to SMTP {cfg['SMTP_HOST']}:{cfg['SMTP_PORT']}: {error}") from error
        return self

    def send(self, message: EmailMessage) -> None:
        assert self.connection is not None
        try:
            self.connection.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if getattr(error, "smtp_code", 0) == 421:  # "service closing": the relay, not the message
                self._close()
                raise RelayUnavailable(str(error)) from error
            raise MessageRefused(str(error)) from error
        except (OSError, smtplib.SMTPException) as error:  # dropped, timed out, or the server went away
            self._close()
            raise RelayUnavailable(str(error)) from error

    def _close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def __exit__(self, *exc) -> None:
        self._close()


class FileBackend:
    """Development: each message becomes an .eml file under instance/mail/ (open it in any mail program)."""

    def __init__(self, directory: Path):
        self.directory = directory

    def __enter__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, message: EmailMessage) -> None:
        name = message["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        (self.directory / f"{name}.eml").write_bytes(bytes(message))

    def __exit__(self, *exc) -> None:
        pass


def backend() -> Backend:
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "smtp":
        return SMTPBackend(cfg)
    if cfg["MAIL_BACKEND"] == "file":
        directory = cfg.get("MAIL_FILE_DIRECTORY") or str(Path(current_app.instance_path) / "mail")
        return FileBackend(Path(directory))
    raise MailError(f"unknown mail backend {cfg['MAIL_BACKEND']!r}")
