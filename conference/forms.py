"""Form helpers shared by the modules."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice
from wtforms.validators import ValidationError

LANGUAGE_NAMES = (("sv", "Svenska"), ("en", "English"))


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs; labels may be lazy translations."""
    return [SelectChoice(value, label) for value, label in pairs]


class HtmlForm(FlaskForm):
    """Valid HTML from every field (the Nu HTML Checker runs over every page): hidden fields carry no id (a page
    with several forms would repeat "csrf_token") and no `required`; a select whose first option is a real choice
    drops `required` (it always has a value; the validators still require one)."""

    class Meta:
        def render_field(self, field, render_kw):
            render_kw = dict(render_kw)
            if field.type in ("HiddenField", "CSRFTokenField", "VersionField"):
                render_kw.setdefault("id", False)
                render_kw["required"] = False
            elif field.type == "SelectField" and field.flags.required:
                first = next(iter(field.iter_choices()), None)
                if first is not None and first[0] not in ("", None):
                    render_kw["required"] = False
            return super().render_field(field, render_kw)


class EmptyForm(HtmlForm):
    """A form with only the CSRF token, for buttons that POST."""


def add_error(form, error: Exception) -> None:
    """Show a service's error beside the field it names (its `field` attribute), or above the form."""
    name = getattr(error, "field", None)
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        form.form_errors.append(str(error))


def as_float(value):
    """DecimalField data as a float for the model (None stays None)."""
    return float(value) if isinstance(value, Decimal) else value


class VersionField(HiddenField):
    """The version of the record the form showed (0: nothing saved yet). Every editable form carries one; a
    missing or non-numeric value is a field error (400), never a 500."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0] not in ("", None):
            text = valuelist[0].strip()
            if text.isdigit() and len(text) <= 9:
                self.data = int(text)
            else:
                raise ValueError(str(_l("The form was damaged: reload the page.")))

    def _value(self):
        return "" if self.data is None else str(self.data)

    def pre_validate(self, form):
        if self.data is None and not self.process_errors:
            raise ValidationError(str(_l("The form was damaged: reload the page.")))


class VersionedForm(HtmlForm):
    """A button that changes a versioned record: the CSRF token and the version the page showed."""

    version = VersionField()


# --- one validated field type per kind: whatever is posted, the form gets a value or an error beside the field ---

from datetime import date as _date  # noqa: E402
from decimal import Decimal as _Decimal  # noqa: E402
from decimal import InvalidOperation as _InvalidOperation  # noqa: E402

from wtforms import fields as _fields  # noqa: E402

EARLIEST_DATE, LATEST_DATE = _date(1900, 1, 1), _date(2200, 12, 31)


class IntegerField(_fields.IntegerField):
    """A whole number of at most nine digits (a 400-digit number or 2^63 is an error, not an overflow)."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        text = str(valuelist[0]).strip()
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            self.data = None
            raise ValueError(str(_l("Enter a whole number.")))
        self.data = int(text)


class DecimalField(_fields.DecimalField):
    """A finite decimal number of reasonable size (NaN, sNaN, Infinity and 1e400 are errors)."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        text = str(valuelist[0]).strip().replace(",", ".")
        try:
            value = _Decimal(text)
        except (_InvalidOperation, ValueError):
            self.data = None
            raise ValueError(str(_l("Enter a number."))) from None
        if not value.is_finite() or abs(value) >= _Decimal("1e9"):
            self.data = None
            raise ValueError(str(_l("Enter a number.")))
        self.data = value


class DateField(_fields.DateField):
    """A date between 1900 and 2200 (year 9999 and year 1 are errors, not overflows further on)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not (EARLIEST_DATE <= self.data <= LATEST_DATE):
            self.data = None
            raise ValueError(str(_l("Enter a date between 1900 and 2200.")))


def clean_text(value: str | None) -> str | None:
    """Typed text as stored: NUL and other control characters (but tabs and line breaks) removed."""
    if not isinstance(value, str):
        return value
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value)


def one_line(value: str | None) -> str | None:
    """A single-line field's text as stored: line breaks (and the tabs around them) become one space, so a title or
    an address posted with CR/LF by a script cannot split an email header or a calendar line later on."""
    if not isinstance(value, str):
        return value
    return re.sub(r"[ \t]*[\r\n\u2028\u2029\x85]+[ \t]*", " ", value)


def blank_choice(value):
    """A select posted with only whitespace is the blank choice: `Optional()` lets whitespace through as a value
    (it strips to nothing), which no choice and no enum knows ("'   ' is not a valid CaseStatus")."""
    return "" if isinstance(value, str) and not value.strip() else value


_SINGLE_LINE = (_fields.StringField, _fields.EmailField, _fields.URLField, _fields.SearchField, _fields.TelField)


class Form(HtmlForm):
    """Every text field's NUL bytes and control characters are dropped when the form is read; single-line fields
    also drop line breaks (only a text area keeps them)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if unbound_field.field_class in (*_SINGLE_LINE, _fields.TextAreaField):
                filters.append(clean_text)
            if unbound_field.field_class in _SINGLE_LINE:
                filters.append(one_line)
            if issubclass(unbound_field.field_class, _fields.SelectField):
                filters.append(blank_choice)
            return unbound_field.bind(form=form, filters=filters, **options)
