"""The quality tables as CSV (one table) and as an .xlsx workbook (every table, one sheet each), written through
conference.spreadsheet: cells that a spreadsheet would run as formulas are written as text, sheets are named in the
reader's language, dates are date cells, and Swedish readers get semicolons and a decimal comma."""

from __future__ import annotations

from flask_babel import get_locale

from conference import spreadsheet
from conference.quality.services import Report, Table


def _locale() -> str:
    return str(get_locale() or "en")


def table_csv(table: Table) -> bytes:
    return spreadsheet.csv_bytes(table.columns, table.rows, locale=_locale())


def rows_csv(columns: list[str], rows: list[list]) -> bytes:
    return spreadsheet.csv_bytes(columns, rows, locale=_locale())


def workbook(report: Report, *, title: str, period_label: str, overview_name: str) -> bytes:
    writer = spreadsheet.WorkbookWriter(
        date_format="yyyy-mm-dd" if spreadsheet.uses_semicolons(_locale()) else "d mmm yyyy"
    )
    overview = writer.sheet(overview_name)
    writer.append(overview, [title], bold=True, size=14)
    writer.append(overview, [period_label])
    for table in report.tables.values():
        sheet = writer.sheet(table.title)
        writer.append(sheet, [table.title], bold=True)
        writer.append(sheet, table.columns, bold=True)
        for row in table.rows:
            writer.append(sheet, row)
    return writer.save()
