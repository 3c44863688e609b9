"""How ages and numbers are written, in the reader's language: one place for every page, email and document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import format_decimal, ngettext

ADULT_FROM_AGE = 18


def completed_years_months(birth: date, on: date) -> tuple[int, int]:
    """Completed years and months between two days (a child is 11 until the 12th birthday, never rounded up)."""
    months = (on.year - birth.year) * 12 + (on.month - birth.month) - (1 if on.day < birth.day else 0)
    months = max(months, 0)
    return months // 12, months % 12


def _adult_from() -> int:
    return current_app.config.get("REHAB_ADULT_FROM_AGE", ADULT_FROM_AGE) if has_app_context() else ADULT_FROM_AGE


def _years_months_text(years: int, months: int) -> str:
    if years >= _adult_from():
        return ngettext("%(num)d year", "%(num)d years", years)
    year_text = ngettext("%(num)d year", "%(num)d years", years)
    if months == 0:
        return year_text
    month_text = ngettext("%(num)d month", "%(num)d months", months)
    return month_text if years == 0 else f"{year_text} {month_text}"


def age(birth: date | None, on: date) -> str:
    """A patient's age on a day: children in completed years and months ("11 years 4 months"), adults in years."""
    if birth is None:
        return ""
    return _years_months_text(*completed_years_months(birth, on))


def age_in_years(years: float | None) -> str:
    """An age given as decimal years (a bone age, the age a prediction used) in completed years and months."""
    if years is None:
        return ""
    months = int(round(years * 12, 6))  # completed months; the rounding only absorbs floating-point noise
    return _years_months_text(months // 12, months % 12)


def number(value: float | Decimal | None, places: int = 1) -> str:
    """A number with the reader's decimal sign (a comma in Swedish) and a fixed number of decimals."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern)
