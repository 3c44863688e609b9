"""Every file meant for a spreadsheet program (CSV, .xlsx) is written here, so that one rule keeps them safe and
readable: a cell that a spreadsheet would run as a formula is written as text (OWASP's CSV-injection rule), Swedish
readers get what Swedish Excel splits and reads (semicolons, a decimal comma, UTF-8 with a BOM), and dates are dates.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font

# What makes a spreadsheet read a cell as a formula (or a DDE command), in ASCII and in their full-width forms,
# which some spreadsheet programs fold to ASCII before parsing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

# Characters a sheet name may not hold, and its length limit (Excel's).
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_LENGTH = 31


def safe_cell(value):
    """A value as a spreadsheet must receive it: text that a spreadsheet would take for a formula gets a leading
    single quote, so it is shown, never run. Numbers and dates are not text and stay as they are (a negative number
    is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def uses_semicolons(locale: str) -> bool:
    """Swedish Excel splits a CSV on semicolons (its list separator, since the comma is its decimal sign)."""
    return str(locale).split("_")[0] == "sv"


def _csv_text(value, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and decimal_comma:
        return repr(value).replace(".", ",")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(safe_cell(value))


def csv_bytes(columns: list[str], rows: list[list], *, locale: str) -> bytes:
    """A table as CSV for the reader's language: in Swedish separated by semicolons with a decimal comma, otherwise
    by commas with a decimal point; UTF-8 with a BOM (Excel then reads å, ä and ö); dates in ISO form, which Excel
    reads as dates in both languages."""
    swedish = uses_semicolons(locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if swedish else ",")
    writer.writerow([_csv_text(c, swedish) for c in columns])
    writer.writerows([[_csv_text(v, swedish) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sheet_name(title: str, taken: set[str]) -> str:
    """A sheet name from a table's title: without its parenthesis and the characters Excel forbids, cut at a word
    to 31 characters, and unique in the workbook."""
    name = _SHEET_FORBIDDEN.sub(" ", title.split(" (")[0]).strip() or "Sheet"
    if len(name) > _SHEET_LENGTH:
        name = name[:_SHEET_LENGTH].rsplit(" ", 1)[0].strip()
    base, n = name, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        name = base[: _SHEET_LENGTH - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


class WorkbookWriter:
    """An .xlsx workbook whose every cell passes through `safe_cell` and whose dates are date cells."""

    def __init__(self, *, date_format: str = "yyyy-mm-dd"):
        self.book = Workbook()
        self.date_format = date_format
        self._names: set[str] = set()
        self._first = True

    def sheet(self, title: str):
        """A new sheet named after `title` (the first call renames the workbook's opening sheet)."""
        if self._first:
            sheet, self._first = self.book.active, False
            sheet.title = sheet_name(title, self._names)
            return sheet
        return self.book.create_sheet(sheet_name(title, self._names))

    def append(self, sheet, values: list, *, bold: bool = False, size: int | None = None) -> None:
        sheet.append([safe_cell(v) for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even if it ever began like a formula
            elif isinstance(cell.value, (date, datetime)):
                cell.number_format = self.date_format
            if bold or size:
                cell.font = Font(bold=bold, size=size or 11)

    def save(self) -> bytes:
        for sheet in self.book.worksheets:
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column)
                sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()
