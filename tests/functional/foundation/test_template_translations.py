"""Templates look their catalogue up once per request and locale, not at every message (a case summary has over a
hundred), and still follow a locale forced for a letter or an invitation in the middle of a request."""

from __future__ import annotations

import flask_babel
from flask import render_template_string

MESSAGES = "{% for n in range(50) %}{{ _('Save') }}|{% endfor %}"


def _counting_lookups(monkeypatch) -> list[int]:
    """Counts Flask-Babel's resolutions of the catalogue (a library function, counted, not replaced)."""
    calls = [0]
    original = flask_babel.Domain.get_translations

    def counted(self):
        calls[0] += 1
        return original(self)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", counted)
    return calls


def test_a_page_looks_its_catalogue_up_once(app, monkeypatch):
    calls = _counting_lookups(monkeypatch)
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        page = render_template_string(MESSAGES)
    assert page.split("|")[:50] == ["Spara"] * 50
    assert calls[0] == 1


def test_a_forced_locale_translates_and_the_request_goes_back_to_its_own(app, monkeypatch):
    calls = _counting_lookups(monkeypatch)
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        before = render_template_string(MESSAGES)
        with flask_babel.force_locale("en_GB"):
            forced = render_template_string(MESSAGES)
        after = render_template_string(MESSAGES)
    assert set(before.split("|")[:50]) == {"Spara"}
    assert set(forced.split("|")[:50]) == {"Save"}
    assert set(after.split("|")[:50]) == {"Spara"}
    assert calls[0] == 3
