"""Jinja filters and globals: dates in the user's locale and the unit's time zone."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, render_template, request
from flask_babel import format_date, format_datetime, format_time, get_locale
from markupsafe import Markup

from conference import formatting


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def _date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return format_date(value, fmt)


def datetime_long(value: datetime | None) -> str:
    """ "Wednesday 25 November 2026 14:00": the full date and the short time, without the zone name."""
    if value is None:
        return ""
    return f"{format_date(_local(value), 'full')} {format_time(value, 'short')}"


def _local(value: datetime):
    from flask_babel import to_user_timezone

    return to_user_timezone(value).date()


def _time(value: datetime | None, fmt: str = "short") -> str:
    return format_time(value, fmt) if value else ""


def event_note(note: str | None) -> str:
    """A case event's note in the reader's language: codes the application wrote become labels; a note typed by a
    person is shown as typed."""
    from conference.cases.models import EVENT_NOTE_LABELS, NOTE_CODE_PREFIX
    from conference.meetings.models import Treatment

    if not note or not note.startswith(NOTE_CODE_PREFIX):
        return note or ""
    if note in EVENT_NOTE_LABELS:
        return str(EVENT_NOTE_LABELS[note])
    treatment = note.removeprefix(NOTE_CODE_PREFIX + "treatment:")
    if treatment in Treatment._value2member_map_:
        return Treatment(treatment).label
    return note


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["time"] = _time
    app.jinja_env.filters["datetime_long"] = datetime_long
    app.jinja_env.filters["number"] = formatting.number
    app.jinja_env.filters["age_in_years"] = formatting.age_in_years
    app.jinja_env.globals["age"] = formatting.age
    app.jinja_env.globals["event_note"] = event_note
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.add_extension("jinja2.ext.i18n")  # {% trans %} blocks, bound to Flask-Babel's gettext
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    navigation: dict[tuple, Markup] = {}

    def cached_navigation(user) -> Markup:
        """The menu depends on nothing but the language and the role: rendered once per pair and process (it was
        a dozen translations and URL builds on every page)."""
        key = (str(get_locale()), user.role.value, request.script_root)
        html = navigation.get(key)
        if html is None:
            html = navigation[key] = Markup(render_template("_nav.html", current_user=user))
        return html

    app.jinja_env.globals["cached_navigation"] = cached_navigation

    from conference.policy import can

    # Templates ask the policy module, never roles: a button shows exactly when its route would let the user in.
    app.jinja_env.globals["can"] = can

    @app.context_processor
    def inject_globals():
        from conference.cases.models import CaseStatus
        from conference.cases.prediction import BAND_LABELS, BONE_AGE_METHODS, PHYSIS_LABELS
        from conference.meetings.models import INDEX_LABELS

        return {
            "status_enum": CaseStatus,
            "band_labels": BAND_LABELS,
            "physis_labels": PHYSIS_LABELS,
            "bone_age_methods": BONE_AGE_METHODS,
            "index_labels": INDEX_LABELS,
            "current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]).replace("_", "-"),
        }
