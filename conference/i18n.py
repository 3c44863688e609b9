"""Language and time-zone selection for Flask-Babel, and the catalogue templates translate with."""

from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context

# The catalogue is "en", but dates and numbers are written as in Britain (4 Dec 2026, 14:00), not as in the US
# (12/4/26, 2:00 PM). gettext finds the "en" catalogue for "en_GB" by itself.
FORMATTING_LOCALES = {"en": "en_GB"}


def formatting_locale(language: str) -> str:
    """The locale to format and translate with for a user's language ("en" -> "en_GB")."""
    return FORMATTING_LOCALES.get(language, language)


def select_locale() -> str:
    return formatting_locale(_select_language())


def _select_language() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return current_user.locale
    except Exception:  # noqa: BLE001 - the database is down: the error page still needs a language
        pass
    if request.accept_languages:
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["CONFERENCE_TIMEZONE"]


def catalogue() -> NullTranslations:
    """This request's translations, resolved again only when the locale changes (force_locale around a letter or an
    invitation in another language). Flask-Babel resolves domain, context and locale at every message, and a case
    summary has over a hundred."""
    locale = get_locale()
    cached = g.get("_catalogue")
    if cached is None or cached[0] is not locale:
        cached = g._catalogue = (locale, get_translations())
    return cached[1]


def install_template_gettext(app: Flask) -> None:
    """Templates translate through catalogue(), looked up once per rendering: a template's locale cannot change
    while it renders (installed after Flask-Babel's own callables, which it replaces)."""

    def of(context: Context) -> NullTranslations:
        # Kept on the rendering's own context, which lives exactly as long as the rendering.
        found = context.__dict__.get("_catalogue")
        if found is None:
            found = context._catalogue = catalogue()
        return found

    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda context, s: of(context).ugettext(s)),
        ngettext=pass_context(lambda context, s, p, n: of(context).ungettext(s, p, n)),
        pgettext=pass_context(lambda context, c, s: of(context).upgettext(c, s)),
        npgettext=pass_context(lambda context, c, s, p, n: of(context).unpgettext(c, s, p, n)),
        newstyle=True,
    )
