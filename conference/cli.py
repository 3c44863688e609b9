"""Flask commands: `flask users create`, `flask seed-demo` (and later `flask scheduler`)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from conference.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "coordinator", "specialist"]), required=True)
@click.option(
    "--specialty",
    type=click.Choice(
        ["orthopaedic_surgeon", "endocrinologist", "clinical_geneticist", "physiotherapist",
         "occupational_therapist", "radiologist", "nurse"]
    ),
    default=None,
)
@click.option("--locale", type=click.Choice(["sv", "en"]), default="sv")
@click.password_option(help="Prompted for when not given.")
def create_user_command(email, name, role, specialty, locale, password):
    """Add an account."""
    from conference.people import services

    try:
        user = services.create_user(
            email=email, name=name, role=role, specialty=specialty, locale=locale, password=password
        )
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Fill an empty database with a realistic demo unit (run once; later runs change nothing)."""
    from conference.seed import seed_demo

    created = seed_demo()
    db.session.commit()
    if created is None:
        click.echo("Demo data is already there; nothing changed.")
        return
    click.echo("Demo unit created. Sign in at the login page with one of these (password for all: see below):")
    for user in created:
        click.echo(f"  {user.role.value:12} {user.specialty_label or '-':28} {user.email}")
    from conference.seed import DEMO_PASSWORD

    click.echo(f"Password for every demo account: {DEMO_PASSWORD}")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo_command)
