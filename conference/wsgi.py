"""WSGI entry point for gunicorn: `gunicorn conference.wsgi:app` (config from CONFERENCE_ENV and CONFERENCE_*)."""

from conference import create_app

app = create_app()
