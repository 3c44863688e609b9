"""Form helpers shared by the modules."""

from __future__ import annotations

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


class EmptyForm(FlaskForm):
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


class VersionedForm(FlaskForm):
    """A button that changes a versioned record: the CSRF token and the version the page showed."""

    version = VersionField()
