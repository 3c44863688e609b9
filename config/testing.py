import os

from config.default import DefaultConfig


class TestingConfig(DefaultConfig):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    DEMO_PASSWORD_ALLOWED = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    BABEL_DEFAULT_LOCALE = "en"
    MAIL_BACKEND = "smtp"
    SMTP_PORT = 0  # tests point it at their own loopback server
    OUTBOX_RETRY_BASE_SECONDS = 0
    # Run the whole suite with the clock moved (e.g. 730 days ahead): no test may depend on the real date.
    CLOCK_OFFSET_DAYS = int(os.environ.get("CONFERENCE_TEST_CLOCK_OFFSET_DAYS", "0"))
    OUTBOX_OUTAGE_RETRY_SECONDS = 0
