"""Benchmark: the outbox draining N queued emails into a local SMTP sink (aiosmtpd), beside its floor: a bare
smtplib loop sending the same number of comparable messages over one connection to the same sink, in the same run.
Prints emails per second for both and the ratio. Run: .venv/bin/python bench/outbox.py [emails]
"""

from __future__ import annotations

import smtplib
import socket
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conference import create_app  # noqa: E402
from conference.extensions import db  # noqa: E402

EMAILS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from conference.notifications import outbox
    from conference.notifications import services as notifications

    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        began = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for n in range(EMAILS):
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = (
                    "a@example-hospital.se",
                    f"m{n}@example-hospital.se",
                    "x",
                )
                message.set_content("Hej " * 40)
                connection.send_message(message)
        floor = EMAILS / (time.perf_counter() - began)

        with tempfile.TemporaryDirectory() as folder:
            app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/outbox.db", SMTP_PORT=port)
            with app.app_context():
                upgrade()
                for n in range(EMAILS):
                    notifications.queue_email(
                        dedupe_key=f"bench:{n}",
                        kind="bench",
                        recipient=f"m{n}@example-hospital.se",
                        subject="x",
                        text_body="Hej " * 40,
                    )
                db.session.commit()
                sink.count = 0
                began = time.perf_counter()
                sweeps = 0
                while sink.count < EMAILS and sweeps < 100:
                    outbox.dispatch_outbox()
                    sweeps += 1
                elapsed = time.perf_counter() - began
                db.session.remove()
                db.engine.dispose()
        rate = EMAILS / elapsed
        print(f"bare smtplib loop:  {floor:8.1f} emails/s")
        print(f"outbox:             {rate:8.1f} emails/s   ({sweeps} sweeps, {elapsed:.1f} s for {EMAILS})")
        print(f"ratio:              {rate / floor:8.2f}   (target >= 0.5)")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
