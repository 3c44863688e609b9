"""Form helpers shared by the modules."""
from __future__ import annotations

from typing import Iterable

from flask_wtf import FlaskForm
from wtforms import SelectChoice

LANGUAGE_NAMES = (("sv", "Svenska"), ("en", "English"))


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs; labels may be lazy translations."""
    return [SelectChoice(value, label) for value, label in pairs]


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
