"""The `conference` application: create_app() builds a configured Flask app."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_login import current_user

from config import CONFIGS, environment_overrides

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Endpoints reachable without signing in. A test pins this set: adding one is a deliberate decision.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.sso_login", "auth.sso_callback", "static"})
# Endpoints that authenticate by a secret token in the URL instead of a session (calendar apps cannot sign in).
TOKEN_ENDPOINTS = frozenset({"conferences.feed"})
# Routes that take files, and the setting that limits their bodies instead of MAX_CONTENT_LENGTH.
LARGE_BODY_ENDPOINTS = {"imaging.add": "IMAGE_MAX_UPLOAD_BYTES"}
# Blueprints that authenticate every request by a bearer token (hospital systems), never by a session.
API_BLUEPRINTS = frozenset({"fhir"})


class ConfigurationError(RuntimeError):
    pass


def create_app(config: str | None = None, **overrides: Any) -> Flask:
    """Build the app. `config` names a class in config/ (default: CONFERENCE_ENV or "development");
    CONFERENCE_* environment variables override it, and keyword overrides win over both."""
    from conference.transaction import ConferenceFlask

    app = ConferenceFlask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "conference" / "static"),
    )
    register_config(app, config or os.environ.get("CONFERENCE_ENV", "development"), overrides)
    register_converters(app)
    register_extensions(app)
    register_blueprints(app)
    register_security(app)
    register_templating(app)
    register_errorhandlers(app)
    register_commands(app)
    register_logging(app)
    register_proxies(app)
    return app


def register_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the client's address, scheme and host are the ones they forward
    (the sign-in throttle counts per client, not per proxy). Only that many hops are believed: a client cannot
    pick its own address by sending X-Forwarded-For itself."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_converters(app: Flask) -> None:
    """Ids in URLs are database integers (INTEGER columns): a number past 2^31 - 1 matches no route (404) instead of
    reaching PostgreSQL, which refuses it as out of range (a 500)."""
    from werkzeug.routing import IntegerConverter

    from conference.db import MAX_ID

    class IdConverter(IntegerConverter):
        def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
            super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    app.url_map.converters["int"] = IdConverter


def default_database_uri(app: Flask) -> str:
    return "sqlite:///" + str(Path(app.instance_path) / "conference.db")


def register_config(app: Flask, name: str, overrides: dict[str, Any]) -> None:
    if name not in CONFIGS:
        raise ConfigurationError(f"Unknown configuration {name!r}; choose one of {', '.join(CONFIGS)}.")
    app.config.from_object(CONFIGS[name])
    app.config.update(environment_overrides())
    app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = default_database_uri(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        # No request larger than the largest image upload (with room for the form's other fields): 413 before
        # anything is read. The image upload checks its own limit while it stores the file.
        app.config["MAX_CONTENT_LENGTH"] = app.config["IMAGE_MAX_UPLOAD_BYTES"] + 1024 * 1024
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["CONFERENCE_TIMEZONE"]
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    if app.config.get("ENV_NAME") == "production":
        check_production_config(app)


def engine_options(config) -> dict[str, Any]:
    """Timeouts from configuration, so a stalled database makes requests fail fast instead of hang."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    uri = config["SQLALCHEMY_DATABASE_URI"]
    connect_args = dict(options.get("connect_args") or {})
    if uri.startswith("postgresql"):
        connect_args.setdefault("connect_timeout", config["DATABASE_CONNECT_TIMEOUT"])
        connect_args.setdefault("keepalives", 1)
        connect_args.setdefault("keepalives_idle", config["DATABASE_KEEPALIVES_IDLE"])
        connect_args.setdefault("keepalives_interval", 10)
        connect_args.setdefault("keepalives_count", 3)
        connect_args.setdefault("options", f"-c statement_timeout={config['DATABASE_STATEMENT_TIMEOUT_MS']}")
    elif uri.startswith("sqlite"):
        connect_args.setdefault("timeout", config["DATABASE_CONNECT_TIMEOUT"])
    options["connect_args"] = connect_args
    options.setdefault("pool_pre_ping", True)
    return options


def check_production_config(app: Flask) -> None:
    """Refuse to run production on development settings."""
    secret = app.config.get("SECRET_KEY")
    if not secret or len(secret) < 32 or "not-secret" in secret:
        raise ConfigurationError(
            "Production needs its own secret key: set CONFERENCE_SECRET_KEY to a random string of "
            "at least 32 characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri == default_database_uri(app) or uri.startswith("sqlite"):
        raise ConfigurationError(
            "Production must not run on the development SQLite file: set CONFERENCE_DATABASE_URL to the "
            "PostgreSQL database (postgresql+psycopg://user@host/dbname)."
        )


def register_extensions(app: Flask) -> None:
    from datetime import timedelta

    from conference.clock import Clock
    from conference.extensions import babel, csrf, db, login_manager, migrate
    from conference.i18n import install_template_gettext, select_locale, select_timezone

    app.extensions["clock"] = Clock(timedelta(days=app.config.get("CLOCK_OFFSET_DAYS", 0)))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)

    @app.before_request
    def larger_bodies_where_files_are_uploaded():
        # Every request is held to MAX_CONTENT_LENGTH (413 before it is read), except the routes that take files,
        # which get their own configured limit. Registered before the CSRF check, which reads the form.
        setting = LARGE_BODY_ENDPOINTS.get(request.endpoint or "")
        if setting:
            request.max_content_length = app.config[setting] + 1024 * 1024

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from flask import session

        from conference.people.models import User

        user = db.session.get(User, int(user_id))
        if user is None or not user.active:
            return None
        # A session from before the last sign-out or password change no longer counts (a copied cookie too).
        if session.get("auth_gen") != user.session_generation:
            return None
        return user

    import conference.models  # noqa: F401  (every table registered on the metadata)


def register_blueprints(app: Flask) -> None:
    from conference.audit import bp as audit_bp
    from conference.audit import routes as _audit  # noqa: F401
    from conference.auth import bp as auth_bp
    from conference.auth import routes as _auth  # noqa: F401
    from conference.cases import bp as cases_bp
    from conference.cases import routes as _cases  # noqa: F401
    from conference.conferences import bp as conferences_bp
    from conference.conferences import routes as _conferences  # noqa: F401
    from conference.dashboard import bp as dashboard_bp
    from conference.dashboard import routes as _dashboard  # noqa: F401
    from conference.fhir import admin_bp as integrations_bp
    from conference.fhir import admin_routes as _integrations  # noqa: F401
    from conference.fhir import bp as fhir_bp
    from conference.fhir import routes as _fhir  # noqa: F401
    from conference.imaging import bp as imaging_bp
    from conference.imaging import measure_routes as _measuring  # noqa: F401
    from conference.imaging import routes as _imaging  # noqa: F401
    from conference.letters import bp as letters_bp
    from conference.letters import routes as _letters  # noqa: F401
    from conference.meetings import bp as meetings_bp
    from conference.meetings import routes as _meetings  # noqa: F401
    from conference.minutes import bp as minutes_bp
    from conference.minutes import routes as _minutes  # noqa: F401
    from conference.notifications import bp as notifications_bp
    from conference.notifications import routes as _notifications  # noqa: F401
    from conference.patients import bp as patients_bp
    from conference.patients import routes as _patients  # noqa: F401
    from conference.people import bp as people_bp
    from conference.people import routes as _people  # noqa: F401
    from conference.quality import bp as quality_bp
    from conference.quality import routes as _quality  # noqa: F401
    from conference.rehab import bp as rehab_bp
    from conference.rehab import routes as _rehab  # noqa: F401

    for bp in (
        auth_bp,
        dashboard_bp,
        people_bp,
        patients_bp,
        audit_bp,
        conferences_bp,
        notifications_bp,
        cases_bp,
        imaging_bp,
        meetings_bp,
        rehab_bp,
        quality_bp,
        minutes_bp,
        letters_bp,
        fhir_bp,
        integrations_bp,
    ):
        app.register_blueprint(bp)


def register_security(app: Flask) -> None:
    @app.before_request
    def require_login():
        endpoint = request.endpoint
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS or endpoint in TOKEN_ENDPOINTS:
            return None
        if request.blueprint in API_BLUEPRINTS:
            return None
        if not current_user.is_authenticated:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target))
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static":
            # Pages carry patient data: never keep them in shared or browser caches.
            headers.setdefault("Cache-Control", "no-store")
        return response


def register_templating(app: Flask) -> None:
    from conference import templating

    templating.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from flask import render_template
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError
    from werkzeug.exceptions import HTTPException

    def render(status: int, title: str, message: str):
        return render_template("errors/error.html", title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render(
            400,
            _("Form expired"),
            _("The form was missing its security token or it had expired. Go back, reload the page and submit again."),
        )

    from conference.db import StaleEdit

    @app.errorhandler(StaleEdit)
    @app.errorhandler(StaleDataError)
    def concurrent_change(error):
        # The safety net behind the forms' own version checks: two saves raced each other.
        from conference.extensions import db

        db.session.rollback()
        return render(
            409,
            _("Changed by someone else"),
            _(
                "Someone else saved the same record at the same moment. "
                "Nothing of yours was saved: go back, reload and try again."
            ),
        )

    from sqlalchemy.exc import DBAPIError, InternalError, OperationalError

    def forget_user_unless_loaded(*, always: bool) -> None:
        """Error pages must render without the database: Flask-Login's template context loads the signed-in user
        (a query) unless this request already did, and after a rollback the loaded user's attributes would be
        read again. An anonymous user for the error page costs nothing and asks nothing."""
        from flask import g

        from conference.extensions import login_manager

        if always or "_login_user" not in g:
            g._login_user = login_manager.anonymous_user()
            return
        try:
            from sqlalchemy import inspect as sa_inspect

            from conference.extensions import db

            state = sa_inspect(g._login_user, raiseerr=False)
            if state is not None and state.expired_attributes:
                db.session.refresh(g._login_user)  # the menu, if the database answers
        except Exception:  # noqa: BLE001 - it does not: the page goes without the user
            g._login_user = login_manager.anonymous_user()

    @app.errorhandler(OperationalError)
    @app.errorhandler(InternalError)
    def database_unavailable(error):
        # The database is down or stalled: our own page, which needs no database (no user, no menu), with
        # Retry-After. The pool replaces the dead connections, so service resumes by itself. A database that
        # answers but cannot store (disk full, read-only) gets a page that says so: the fix is the administrator's.
        from conference.extensions import db

        problem = storage_problem(error)
        if isinstance(error, InternalError) and problem is None:
            app.logger.error("database error", exc_info=error)  # not about storage: a plain 500
            return internal_error(InternalServerError())
        try:
            db.session.rollback()
        except DBAPIError:
            pass
        forget_user_unless_loaded(always=True)
        what = {"full": "database disk full", "read-only": "database read-only"}.get(problem, "database unavailable")
        app.logger.error("%s: %s", what, str(error).splitlines()[0])
        page = render_template(
            "errors/unavailable.html", retry_after=app.config["RETRY_AFTER_SECONDS"], problem=problem
        )
        return page, 503, {"Retry-After": str(app.config["RETRY_AFTER_SECONDS"])}

    @app.errorhandler(IntegrityError)
    def conflicting_data(error):
        from conference.extensions import db

        db.session.rollback()
        return render(
            409,
            _("Already there"),
            _("This would duplicate something that was just saved by someone else. Go back, reload and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path == "/fhir" or request.path.startswith("/fhir/"):
            from conference.fhir.routes import http_outcome

            return http_outcome(error)
        messages = {
            400: (
                _("Not understood"),
                _("The request was damaged or incomplete. Go back, reload the page and try again."),
            ),
            403: (_("Not allowed"), _("Your role does not give access to this page.")),
            404: (_("Not found"), _("There is nothing at this address.")),
            405: (
                _("Not possible here"),
                _("This address does not take that kind of request. Use the page's own buttons."),
            ),
            409: (_("Changed meanwhile"), _("Someone changed this at the same time. Reload the page and try again.")),
            413: (_("Too large"), _("What was sent is larger than this system accepts.")),
            429: (_("Too many requests"), _("Wait a moment, then try again.")),
            500: (
                _("Something went wrong"),
                _(
                    "The system could not finish this. Nothing was half-saved; try again, and tell the unit's "
                    "administrator if it happens again."
                ),
            ),
        }
        title, message = messages.get(
            error.code, (_("Error %(code)d", code=error.code or 500), _("The request could not be completed."))
        )
        return render(error.code or 500, title, message)

    from werkzeug.exceptions import InternalServerError

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        # Flask logged the exception before calling this; undo what the request half did.
        from conference.extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the page must render even when the database is gone
            pass
        forget_user_unless_loaded(always=False)
        return http_error(error)


def storage_problem(error: Exception) -> str | None:
    """ "full" or "read-only" when the database answered but cannot store (PostgreSQL's SQLSTATE 53100 disk_full
    and 25006 read_only_sql_transaction, SQLite's SQLITE_FULL and SQLITE_READONLY), else None."""
    original = getattr(error, "orig", None) or error
    sqlstate = getattr(original, "sqlstate", None)
    text = str(original).lower()
    if sqlstate == "53100" or "database or disk is full" in text or "no space left on device" in text:
        return "full"
    if sqlstate == "25006" or "readonly database" in text or "read-only transaction" in text:
        return "read-only"
    return None


def register_commands(app: Flask) -> None:
    from conference.cli import register

    register(app)


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
