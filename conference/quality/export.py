"""The quality tables as CSV (one table) and as an .xlsx workbook (every table, one sheet each, with openpyxl)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from conference.quality.services import Report, Table


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV with Swedish letters right


def rows_csv(columns: list[str], rows: list[list]) -> bytes:
    return table_csv(Table("cases", "", columns, rows))


def workbook(report: Report, *, title: str, period_label: str, overview_name: str) -> bytes:
    book = Workbook()
    overview = book.active
    overview.title = overview_name[:31]
    overview.append([title])
    overview["A1"].font = Font(bold=True, size=14)
    overview.append([period_label])
    for table in report.tables.values():
        sheet = book.create_sheet(table.name[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.columns)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
