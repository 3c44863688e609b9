"""Form helpers shared by the modules."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from flask_wtf import FlaskForm
from wtforms import SelectChoice

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
