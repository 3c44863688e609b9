"""Building MIME messages (stdlib `email`) and handing them to SMTP or, in development, to .eml files."""

from __future__ import annotations

import re
import smtplib
import ssl
from email import charset as _charset
from email.encoders import encode_base64
from email.errors import MessageError
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from flask import current_app

# Text parts in UTF-8, quoted-printable: Swedish stays readable in the raw message (base64 would hide it).
_UTF8 = _charset.Charset("utf-8")
_UTF8.body_encoding = _charset.QP


class MailError(RuntimeError):
    pass


class RelayUnavailable(MailError):
    """The relay could not be reached, dropped the connection or did not answer in time: not the message's fault.
    If it happened after the message was handed over, the relay may have it: a retry carries the same Message-ID."""


class MessageRefused(MailError):
    """The relay answered and refused this message (a 4xx or 5xx reply to it)."""


class MessageUnsendable(MailError):
    """This row cannot become an email at all (no single recipient address, a message the email package cannot
    write): trying again changes nothing, so it fails at once and alone."""


def message_id(sender: str) -> str:
    """A Message-ID made once per outbox row and kept for every try, so a copy after a retry is recognisable."""
    return make_msgid(idstring="mdt", domain=sender.rsplit("@", 1)[-1].strip(">"))


def recipient_domain_allowed(address: str, allowed: list[str]) -> bool:
    domain = address.rsplit("@", 1)[-1].strip().lower()
    return domain in {d.lower() for d in allowed}


def one_line(value: str) -> str:
    """A header value on one line: line breaks and other control characters become a space, so no value can end a
    header and start another (whatever a row holds: a title typed before fields dropped line breaks, a script)."""
    return re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]+", " ", value).strip()


def _header(value: str) -> str | Header:
    """ASCII as it is; anything else as an RFC 2047 encoded word (Swedish subjects). Always on one line."""
    value = one_line(value)
    return value if value.isascii() else Header(value, "utf-8")


def single_address(recipient: str) -> str:
    """The one address a row is for, or MessageUnsendable: a To header with a second address or a header hidden
    behind a line break would send the email to someone the application never chose."""
    address = recipient.strip()
    name, parsed = parseaddr(address)
    if name or parsed != address or "@" not in address or one_line(address) != address or " " in address:
        raise MessageUnsendable("the recipient is not one email address")
    return address


def _sender(sender: str) -> str:
    """'Unit name <address>' with a non-ASCII display name encoded."""
    name, address = parseaddr(sender)
    return formataddr((name, address), charset="utf-8") if name else address


def _text(body: str, subtype: str, **params: str) -> MIMEText:
    part = MIMEText(body, subtype, _UTF8)
    for key, value in params.items():
        part.set_param(key, value)
    return part


def build_message(email, sender: str) -> Message:
    """`email` has an outbox row's fields (recipient, subject, message_id, bodies, ics, attachments).

    multipart/alternative (text, html, text/calendar; method=...) wrapped in multipart/mixed when there are
    attachments. The calendar part's method matches the METHOD inside it, as Outlook and Gmail require.

    Built with the email package's compat32 classes: the default policy parses every header it is given back
    through its header registry, which took most of the outbox's own time per email (bench/outbox.py)."""
    parts = [_text(email.text_body, "plain")]
    if email.html_body:
        parts.append(_text(email.html_body, "html"))
    if email.ics:
        parts.append(_text(email.ics, "calendar", method=email.ics_method or "PUBLISH"))
    body = parts[0] if len(parts) == 1 else MIMEMultipart("alternative", _subparts=parts)
    attachments = list(email.attachments)
    if attachments:
        message: Message = MIMEMultipart("mixed", _subparts=[body])
        for attachment in attachments:
            maintype, subtype = attachment.content_type.split("/", 1)
            data = attachment.data
            if data is None:  # a stored document, read (and checked against its SHA-256) when the email is built
                from conference.documents import services as documents

                data = documents.read(attachment.document_id)
            part = MIMEBase(maintype, subtype)
            part.set_payload(data)
            encode_base64(part)
            name = one_line(attachment.filename)
            filename = name if name.isascii() else ("utf-8", "", name)
            part.add_header("Content-Disposition", "attachment", filename=filename)
            message.attach(part)
    else:
        message = body
    message["From"] = _sender(one_line(sender))
    message["To"] = single_address(email.recipient)
    message["Subject"] = _header(email.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = one_line(email.message_id or message_id(sender))
    message["Auto-Submitted"] = "auto-generated"
    return message


class Backend(Protocol):
    def __enter__(self) -> "Backend": ...
    def __exit__(self, *exc) -> None: ...
    def send(self, message: Message) -> None: ...


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

    def send(self, message: Message) -> None:
        assert self.connection is not None
        try:
            self.connection.send_message(message)  # writes the message out before it says MAIL FROM
        except MessageError as error:  # the message cannot be written: nothing went to the relay
            raise MessageUnsendable(str(error)) from error
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

    def send(self, message: Message) -> None:
        try:
            data = bytes(message)
        except MessageError as error:
            raise MessageUnsendable(str(error)) from error
        name = message["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        (self.directory / f"{name}.eml").write_bytes(data)

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
