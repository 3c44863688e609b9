"""gunicorn settings for production: `gunicorn -c python:config.gunicorn conference.wsgi:app`.

Threaded workers (gthread): a client that sends its request slowly holds one thread, not a whole worker, so a few
slow or stalled connections (a phone on a weak network, a slowloris) cannot make everyone else wait. The reverse
proxy in front must still buffer whole requests and responses (README, "Production deployment"); these settings
are the second line. CONFERENCE_WEB_* environment variables override the defaults.
"""

import os

bind = os.environ.get("CONFERENCE_WEB_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("CONFERENCE_WEB_WORKERS", "2"))
# Each thread is one request in progress; each may hold one database connection (SQLAlchemy's pool: 5 + 10).
threads = int(os.environ.get("CONFERENCE_WEB_THREADS", "8"))
# A worker that does not report back within this is restarted (a request stuck in a C call); slow clients are the
# threads' and the proxy's business, not this.
timeout = int(os.environ.get("CONFERENCE_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Request line and headers: gunicorn's limits, stated here; bodies are limited by MAX_CONTENT_LENGTH in the app.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("CONFERENCE_WEB_ACCESS_LOG", "-")
