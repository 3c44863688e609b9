from config.default import DefaultConfig


class DevelopmentConfig(DefaultConfig):
    ENV_NAME = "development"
    # Development only: a fixed key so sessions survive restarts. Production refuses to start without its own.
    SECRET_KEY = "development-only-not-secret"
    DEMO_PASSWORD_ALLOWED = True
