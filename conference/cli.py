"""Flask commands: `flask users create`, `flask seed-demo` (and later `flask scheduler`)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from conference import transaction
from conference.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "coordinator", "specialist"]), required=True)
@click.option(
    "--specialty",
    type=click.Choice(
        [
            "orthopaedic_surgeon",
            "endocrinologist",
            "clinical_geneticist",
            "physiotherapist",
            "occupational_therapist",
            "radiologist",
            "nurse",
        ]
    ),
    default=None,
)
@click.option("--locale", type=click.Choice(["sv", "en"]), default="sv")
@click.password_option(help="Prompted for when not given.")
def create_user_command(email, name, role, specialty, locale, password):
    """Add an account."""
    from conference.people import services

    try:
        with transaction.unit_of_work():
            user = services.create_user(
                email=email, name=name, role=role, specialty=specialty, locale=locale, password=password
            )
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role.value} {user.email}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Fill an empty database with a realistic demo unit (run once; later runs change nothing)."""
    from conference.seed import seed_demo

    with transaction.unit_of_work():
        created = seed_demo()
    if created is None:
        click.echo("Demo data is already there; nothing changed.")
        return
    click.echo("Demo unit created. Sign in at the login page with one of these (password for all: see below):")
    for user in created:
        click.echo(f"  {user.role.value:12} {user.specialty_label or '-':28} {user.email}")
    from conference.seed import DEMO_PASSWORD

    click.echo(f"Password for every demo account: {DEMO_PASSWORD}")


@click.command("scheduler")
@click.option("--check", is_flag=True, help="Exit 0 when the running scheduler swept recently, 1 when not.")
@with_appcontext
def scheduler_command(check):
    """Run the scheduler process (outbox dispatch, reminders) until stopped. Any number may run at once: claims
    keep each email to one of them. SIGTERM finishes the email in hand and stops."""
    import signal
    import threading

    from flask import current_app

    from conference import scheduler as wiring

    app = current_app._get_current_object()
    if check:
        alive, detail = wiring.check(app)
        click.echo(("alive: " if alive else "NOT running: ") + detail)
        raise SystemExit(0 if alive else 1)
    stop = threading.Event()
    sched = wiring.build_scheduler(app, stop)

    def on_signal(signum, _frame):
        stop.set()  # the sweep in progress finishes its email and gives back the rest
        if sched.running:
            sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if not wiring.wait_for_database(app, stop):
        return
    click.echo("Scheduler running: " + ", ".join(job.id for job in sched.get_jobs()))
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        stop.set()
    click.echo("Scheduler stopped.")


outbox_cli = AppGroup("outbox", help="The email outbox.")


@outbox_cli.command("send")
def outbox_send_command():
    """Send what is due now (what the scheduler does every interval)."""
    from conference.notifications import outbox

    result = outbox.dispatch_outbox()
    click.echo(f"claimed {result.claimed}, sent {result.sent}, retrying {result.retrying}, failed {result.failed}")


@outbox_cli.command("reminders")
def outbox_reminders_command():
    """Queue due reminders now."""
    from conference.conferences import services

    with transaction.unit_of_work():
        services.extend_all_series()
        queued = services.queue_reminders()
    click.echo(f"queued {queued} reminders")


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(destination):
    """Back up the whole database (signed documents included, verified) into a new folder."""
    from conference import backup

    try:
        manifest = backup.backup(destination)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Backup written to {destination}: {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} "
        f"tables, {len(manifest['documents'])} signed documents verified."
    )


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.option("--database-url", default=None, help="The empty database to restore into (default: the configured one).")
@with_appcontext
def restore_command(source, database_url):
    """Restore a backup folder into an empty database and check it against the backup's manifest."""
    from conference import backup

    url = database_url or db.engine.url.render_as_string(hide_password=False)
    db.engine.dispose()
    try:
        manifest = backup.restore(source, url)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored and checked: revision {manifest['revision']}, {len(manifest['documents'])} signed documents.")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
