"""Configuration classes, chosen by name and overridden by CONFERENCE_* environment variables."""

from __future__ import annotations

import json
import os
from typing import Any, Callable

from config.default import DefaultConfig
from config.development import DevelopmentConfig
from config.production import ProductionConfig
from config.testing import TestingConfig

CONFIGS: dict[str, type[DefaultConfig]] = {
    "default": DefaultConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",") if part.strip()]


# environment variable -> (config key, parser)
ENVIRONMENT_OVERRIDES: dict[str, tuple[str, Callable[[str], Any]]] = {
    "CONFERENCE_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "CONFERENCE_SECRET_KEY": ("SECRET_KEY", str),
    "CONFERENCE_TIMEZONE": ("CONFERENCE_TIMEZONE", str),
    "CONFERENCE_BASE_URL": ("CONFERENCE_BASE_URL", str),
    "CONFERENCE_UNIT_NAME": ("CONFERENCE_UNIT_NAME", str),
    "CONFERENCE_DEFAULT_LOCALE": ("BABEL_DEFAULT_LOCALE", str),
    "CONFERENCE_MAIL_BACKEND": ("MAIL_BACKEND", str),
    "CONFERENCE_MAIL_FILE_DIRECTORY": ("MAIL_FILE_DIRECTORY", str),
    "CONFERENCE_MAIL_SENDER": ("MAIL_SENDER", str),
    "CONFERENCE_SMTP_HOST": ("SMTP_HOST", str),
    "CONFERENCE_SMTP_PORT": ("SMTP_PORT", int),
    "CONFERENCE_SMTP_USER": ("SMTP_USER", str),
    "CONFERENCE_SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "CONFERENCE_SMTP_STARTTLS": ("SMTP_STARTTLS", _bool),
    "CONFERENCE_SMTP_SSL": ("SMTP_SSL", _bool),
    "CONFERENCE_SMTP_TIMEOUT": ("SMTP_TIMEOUT", float),
    "CONFERENCE_OUTBOX_MAX_ATTEMPTS": ("OUTBOX_MAX_ATTEMPTS", int),
    "CONFERENCE_OUTBOX_RETRY_MAX_SECONDS": ("OUTBOX_RETRY_MAX_SECONDS", int),
    "CONFERENCE_OUTBOX_BATCH_SECONDS": ("OUTBOX_BATCH_SECONDS", int),
    "CONFERENCE_OUTBOX_LEASE_SECONDS": ("OUTBOX_LEASE_SECONDS", int),
    "CONFERENCE_OUTBOX_DATABASE_RETRY_SECONDS": ("OUTBOX_DATABASE_RETRY_SECONDS", int),
    "CONFERENCE_OUTBOX_RELAY_OUTAGE_ERROR_MINUTES": ("OUTBOX_RELAY_OUTAGE_ERROR_MINUTES", int),
    "CONFERENCE_SCHEDULER_HEARTBEAT": ("SCHEDULER_HEARTBEAT_FILE", str),
    "CONFERENCE_SCHEDULER_OUTBOX_INTERVAL": ("SCHEDULER_OUTBOX_INTERVAL", int),
    "CONFERENCE_DATABASE_CONNECT_TIMEOUT": ("DATABASE_CONNECT_TIMEOUT", int),
    "CONFERENCE_ARGON2_TIME_COST": ("ARGON2_TIME_COST", int),
    "CONFERENCE_ARGON2_MEMORY_COST": ("ARGON2_MEMORY_COST", int),
    "CONFERENCE_ARGON2_PARALLELISM": ("ARGON2_PARALLELISM", int),
    "CONFERENCE_DATABASE_STATEMENT_TIMEOUT_MS": ("DATABASE_STATEMENT_TIMEOUT_MS", int),
    "CONFERENCE_MAIL_ALLOWED_DOMAINS": ("MAIL_ALLOWED_DOMAINS", _list),
    "CONFERENCE_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _bool),
    "CONFERENCE_OIDC_ISSUER": ("OIDC_ISSUER", str),
    "CONFERENCE_OIDC_CLIENT_ID": ("OIDC_CLIENT_ID", str),
    "CONFERENCE_OIDC_CLIENT_SECRET": ("OIDC_CLIENT_SECRET", str),
    "CONFERENCE_OIDC_SCOPES": ("OIDC_SCOPES", str),
    "CONFERENCE_OIDC_EMAIL_CLAIM": ("OIDC_EMAIL_CLAIM", str),
    "CONFERENCE_OIDC_ROLE_CLAIM": ("OIDC_ROLE_CLAIM", str),
    "CONFERENCE_OIDC_ROLE_MAP": ("OIDC_ROLE_MAP", json.loads),
    "CONFERENCE_OIDC_SPECIALTY_CLAIM": ("OIDC_SPECIALTY_CLAIM", str),
    "CONFERENCE_OIDC_BUTTON_LABEL": ("OIDC_BUTTON_LABEL", str),
    "CONFERENCE_LOCAL_PASSWORD_LOGIN": ("LOCAL_PASSWORD_LOGIN", _bool),
    "CONFERENCE_IMAGE_STORE": ("IMAGE_STORE", str),
    "CONFERENCE_IMAGE_MAX_UPLOAD_BYTES": ("IMAGE_MAX_UPLOAD_BYTES", int),
    "CONFERENCE_IMAGE_MAX_PIXELS": ("IMAGE_MAX_PIXELS", int),
    "CONFERENCE_PACS_DICOMWEB_URL": ("PACS_DICOMWEB_URL", str),
    "CONFERENCE_PACS_USERNAME": ("PACS_USERNAME", str),
    "CONFERENCE_PACS_PASSWORD": ("PACS_PASSWORD", str),
    "CONFERENCE_PACS_TIMEOUT": ("PACS_TIMEOUT", float),
    "CONFERENCE_MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", int),
    "CONFERENCE_MAX_FORM_MEMORY_SIZE": ("MAX_FORM_MEMORY_SIZE", int),
    "CONFERENCE_MAX_FORM_PARTS": ("MAX_FORM_PARTS", int),
    "CONFERENCE_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "CONFERENCE_LOGIN_MAX_FAILURES": ("LOGIN_MAX_FAILURES", int),
    "CONFERENCE_LOGIN_MAX_FAILURES_KNOWN_DEVICE": ("LOGIN_MAX_FAILURES_KNOWN_DEVICE", int),
    "CONFERENCE_LOGIN_MAX_FAILURES_PER_ADDRESS": ("LOGIN_MAX_FAILURES_PER_ADDRESS", int),
    "CONFERENCE_PASSWORD_MIN_STRENGTH": ("PASSWORD_MIN_STRENGTH", int),
    # Growth prediction constants (DOMAIN.md): the unit sets its own.
    **{
        f"CONFERENCE_{key}": (key, float)
        for key in (
            "LLD_BAND_INSOLE_BELOW_MM",
            "LLD_BAND_LENGTHENING_ABOVE_MM",
            "EPIPHYSIODESIS_FEMUR_SHARE",
            "EPIPHYSIODESIS_TIBIA_SHARE",
            "WHITE_MENELAUS_FEMUR_MM_PER_YEAR",
            "WHITE_MENELAUS_TIBIA_MM_PER_YEAR",
            "WHITE_MENELAUS_STOP_AGE_MALE",
            "WHITE_MENELAUS_STOP_AGE_FEMALE",
            "EPIPHYSIODESIS_METHODS_DISAGREE_YEARS",
        )
    },
}


def environment_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Config values taken from CONFERENCE_* environment variables."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, (key, parse) in ENVIRONMENT_OVERRIDES.items():
        if environ.get(name) not in (None, ""):
            values[key] = parse(environ[name])
    return values
